-- 0010-shadow.sql - shadow tests (mlops-shadow): a candidate model
-- version gets a copy of a sample of an endpoint's live requests while
-- production answers them; the gateway keeps paired records of both.

-- One row per test. status is Running until stopped, promoted, or its
-- end time passes (Completed). At most one Running test per endpoint.
-- The model columns describe the shadow version as endpoint's do; the
-- counters are the gateway's, added to on each write-back.
CREATE TABLE shadow_test (
	name		TEXT PRIMARY KEY,
	endpoint	TEXT NOT NULL,
	production	TEXT NOT NULL,		-- "GROUP/N" at start
	model		TEXT NOT NULL,		-- the shadow's "GROUP/N"
	framework	TEXT NOT NULL,
	entry		TEXT,
	model_dir	TEXT NOT NULL,
	artifact	TEXT,
	sample_pct	REAL NOT NULL CHECK (sample_pct BETWEEN 0 AND 100),
	max_pairs	INTEGER NOT NULL CHECK (max_pairs >= 1),
	status		TEXT NOT NULL CHECK (status IN
			('Running', 'Completed', 'Stopped', 'Promoted')),
	start_us	INTEGER NOT NULL,
	end_us		INTEGER NOT NULL,	-- scheduled end
	ended_us	INTEGER,		-- when it actually ended
	created_by	TEXT NOT NULL,
	mirrored	INTEGER NOT NULL DEFAULT 0,	-- answered by the shadow
	shed		INTEGER NOT NULL DEFAULT 0,	-- sampled, not mirrored
	pairs_seen	INTEGER NOT NULL DEFAULT 0,	-- for reservoir sampling
	error		TEXT,			-- why the shadow cannot serve
	kind		TEXT NOT NULL DEFAULT 'live'	-- 'replay': offline, over
			CHECK (kind IN ('live', 'replay'))	-- captured requests
);
CREATE UNIQUE INDEX shadow_test_running ON shadow_test (endpoint)
	WHERE status = 'Running';

-- Paired records: a reservoir of at most max_pairs per test, slot
-- 0..max_pairs-1. Outputs are the response bodies as answered.
CREATE TABLE shadow_pair (
	test		TEXT NOT NULL REFERENCES shadow_test (name)
			ON DELETE CASCADE,
	slot		INTEGER NOT NULL,
	request_id	TEXT NOT NULL,
	time_us		INTEGER NOT NULL,
	content_type	TEXT NOT NULL,
	input		BLOB NOT NULL,
	prod_status	INTEGER NOT NULL,
	prod_latency_us	INTEGER NOT NULL,
	prod_output	BLOB NOT NULL,
	shadow_status	INTEGER NOT NULL,
	shadow_latency_us INTEGER NOT NULL,
	shadow_output	BLOB NOT NULL,
	PRIMARY KEY (test, slot)
);
