-- 0016-endpoint-latency.sql - the gateway's latency histogram, written
-- back with its other counters (since the gateway started), so that the
-- model dashboard shows latency percentiles with no gateway running.
-- JSON {"bounds_us": [upper bound of each finite bucket], "counts":
-- [requests per bucket, one more than bounds_us: the last is +Inf],
-- "sum_us": total}; NULL until a gateway that writes it served the
-- endpoint.
ALTER TABLE endpoint_stats ADD COLUMN latency TEXT;
