-- 0011-event-rules.sql - event rules (`mlops event rule`) and their
-- deliveries (`mlops event dispatch`), as EventBridge rules and targets.

-- A rule: an event pattern and a shell command run for each event that
-- matches. A rule sees only the events recorded after it was added or
-- last enabled (since_seq), as an EventBridge rule does.
CREATE TABLE event_rule (
	name		TEXT PRIMARY KEY,
	pattern		TEXT NOT NULL,		-- the pattern, compact JSON
	target		TEXT NOT NULL,		-- run with sh -c
	retries		INTEGER NOT NULL,	-- attempts after the first
	backoff_us	INTEGER NOT NULL,	-- before the first retry
	enabled		INTEGER NOT NULL,
	since_seq	INTEGER NOT NULL,	-- events after this seq only
	description	TEXT,
	origin		TEXT,			-- the file of --from, if any
	created_by	TEXT NOT NULL,
	created_us	INTEGER NOT NULL
);

-- How far dispatchers have matched the event log against the rules.
CREATE TABLE event_dispatch_cursor (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	seq		INTEGER NOT NULL
);
INSERT INTO event_dispatch_cursor (id, seq)
	SELECT 1, coalesce(max(seq), 0) FROM event;

-- One delivery of one event to one rule's target: pending (due at
-- next_us), running (a dispatcher holds its lock), done, or dead (the
-- dead-letter list). Committed at each step, so a killed dispatcher
-- loses no delivery and repeats none that is done.
CREATE TABLE event_delivery (
	id		INTEGER PRIMARY KEY,
	event_seq	INTEGER NOT NULL,
	rule		TEXT NOT NULL REFERENCES event_rule (name)
			ON DELETE CASCADE,
	state		TEXT NOT NULL CHECK (state IN
			('pending', 'running', 'done', 'dead')),
	attempts	INTEGER NOT NULL DEFAULT 0,	-- failed runs
	runs		INTEGER NOT NULL DEFAULT 0,	-- started runs
	next_us		INTEGER NOT NULL,
	created_us	INTEGER NOT NULL,
	started_us	INTEGER,	-- the last run's start
	ended_us	INTEGER,
	exit_status	INTEGER,
	reason		TEXT,		-- why the last run failed
	UNIQUE (event_seq, rule)
);
CREATE INDEX event_delivery_state ON event_delivery (state, next_us);
