-- 0001-core.sql - the tables every program of the store shares.
-- Each migration file NNNN-name.sql brings PRAGMA user_version to NNNN and
-- runs in one transaction; never edit one that has shipped, add the next.

-- Which rows hold which blobs. Every module that names a blob in its own
-- tables also records it here, in the same transaction: `mlops fsck`
-- checks that each hash here exists, `mlops gc` keeps exactly these.
CREATE TABLE object_ref (
	hash	TEXT NOT NULL CHECK (length(hash) = 64),
	owner	TEXT NOT NULL,	-- "pin", "registry:churn/3", "run:RUN/step"
	PRIMARY KEY (hash, owner)
) WITHOUT ROWID;
CREATE INDEX object_ref_owner ON object_ref (owner);

-- Events in the EventBridge envelope, one row each, oldest first.
CREATE TABLE event (
	seq		INTEGER PRIMARY KEY,
	id		TEXT NOT NULL UNIQUE,
	time_us		INTEGER NOT NULL,	-- envelope "time" in microseconds
	source		TEXT NOT NULL,		-- "mlops.registry"
	detail_type	TEXT NOT NULL,
	body		TEXT NOT NULL		-- the whole envelope, JSON
);
CREATE INDEX event_time ON event (time_us);
CREATE INDEX event_source ON event (source, time_us);
