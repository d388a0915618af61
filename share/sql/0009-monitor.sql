-- 0009-monitor.sql - monitoring schedules and their executions.
-- A schedule checks what an endpoint captured in each window of its
-- interval against a baseline directory; next_start_us is the start of
-- the next window to run, so that run-due catches up missed windows and
-- never runs one twice. An execution's report files live under
-- monitoring/SCHEDULE/ID/ in the store, written before its row.
CREATE TABLE monitor_schedule (
	name		TEXT PRIMARY KEY,
	endpoint	TEXT NOT NULL,
	baseline	TEXT NOT NULL,		-- absolute directory
	type		TEXT NOT NULL CHECK (type IN ('data')),
	interval_us	INTEGER NOT NULL CHECK (interval_us >= 60000000),
	next_start_us	INTEGER NOT NULL,
	created_us	INTEGER NOT NULL,
	created_by	TEXT NOT NULL
);

CREATE TABLE monitor_execution (
	id		TEXT PRIMARY KEY,
	schedule	TEXT NOT NULL REFERENCES monitor_schedule (name)
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
	UNIQUE (schedule, window_start_us)
);
CREATE INDEX monitor_execution_schedule ON monitor_execution (schedule,
	window_start_us);

-- A baseline attached to a model version (mlops-monitor baseline
-- --register): the two files as blobs, held through blob_ref by the
-- owner "monitor-baseline:GROUP/N".
CREATE TABLE monitor_baseline (
	grp		TEXT NOT NULL,
	version		INTEGER NOT NULL,
	statistics	TEXT NOT NULL CHECK (length(statistics) = 64),
	constraints	TEXT NOT NULL CHECK (length(constraints) = 64),
	created_us	INTEGER NOT NULL,
	created_by	TEXT NOT NULL,
	PRIMARY KEY (grp, version),
	FOREIGN KEY (grp, version) REFERENCES registry_version (grp, version)
);
