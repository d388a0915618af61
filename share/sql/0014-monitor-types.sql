-- 0014-monitor-types.sql - schedules of model quality (ground truth in a
-- directory joined to the captured predictions) and of feature
-- attribution drift beside data quality, and the per-variant results of
-- each execution.
--
-- SQLite cannot change a CHECK in place, so both tables are rebuilt:
-- new tables filled from the old, the old dropped (the executions'
-- first, so that dropping the schedules cascades to nothing), and the
-- new renamed, which rewrites the executions' foreign key.
CREATE TABLE monitor_schedule_0014 (
	name		TEXT PRIMARY KEY,
	endpoint	TEXT NOT NULL,
	baseline	TEXT NOT NULL,	-- directory, CSV file or GROUP/N
	type		TEXT NOT NULL CHECK (type IN ('data', 'quality',
			'attribution')),
	interval_us	INTEGER NOT NULL CHECK (interval_us >= 60000000),
	next_start_us	INTEGER NOT NULL,
	created_us	INTEGER NOT NULL,
	created_by	TEXT NOT NULL,
	labels		TEXT,		-- quality: ground truth directory
	problem		TEXT CHECK (problem IN ('binary', 'regression',
			'multiclass')),
	threshold	REAL,		-- quality: score; attribution: NDCG
	CHECK ((type = 'quality') = (labels IS NOT NULL AND
					 problem IS NOT NULL))
);
INSERT INTO monitor_schedule_0014 (name, endpoint, baseline, type,
	interval_us, next_start_us, created_us, created_by)
	SELECT name, endpoint, baseline, type, interval_us, next_start_us,
	       created_us, created_by FROM monitor_schedule;

CREATE TABLE monitor_execution_0014 (
	id		TEXT PRIMARY KEY,
	schedule	TEXT NOT NULL REFERENCES monitor_schedule_0014 (name)
			ON DELETE CASCADE,
	window_start_us	INTEGER NOT NULL,
	window_end_us	INTEGER NOT NULL,
	status		TEXT NOT NULL CHECK (status IN ('Completed',
			'CompletedWithViolations', 'Failed')),
	items		INTEGER NOT NULL,
	violations	INTEGER NOT NULL,
	report		TEXT,			-- store-relative, or NULL
	failure		TEXT,
	ran_us		INTEGER NOT NULL,
	-- JSON: {"variants": [{variant, status, items, violations, ...}],
	-- and counts of what the window held but did not use}.
	detail		TEXT,
	UNIQUE (schedule, window_start_us)
);
INSERT INTO monitor_execution_0014 (id, schedule, window_start_us,
	window_end_us, status, items, violations, report, failure, ran_us)
	SELECT id, schedule, window_start_us, window_end_us, status, items,
	       violations, report, failure, ran_us FROM monitor_execution;

DROP TABLE monitor_execution;
DROP TABLE monitor_schedule;
ALTER TABLE monitor_schedule_0014 RENAME TO monitor_schedule;
ALTER TABLE monitor_execution_0014 RENAME TO monitor_execution;
CREATE INDEX monitor_execution_schedule ON monitor_execution (schedule,
	window_start_us);
