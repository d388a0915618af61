-- 0017-feature-run.sql - sorted runs of the offline store: for each
-- writer (an ingest, a delete), a binary copy of its rows sorted for the
-- point-in-time join, in offline/GROUP/_sorted/ (see lib/feature/run.c).
-- The gzip CSV files stay the data of record; a run is a cache that the
-- join checks and does without when it is missing or damaged, and
-- `mlops-feature reindex` makes again. A join checks sha256 unless the
-- file's inode, size, modification and change times are still those
-- recorded when it was made (as git trusts its index): no write to the
-- file, not even one that puts its mtime back, leaves its change time as
-- it was. fsck always checks sha256.
CREATE TABLE feature_run (
	id		INTEGER PRIMARY KEY,
	group_id	INTEGER NOT NULL
			REFERENCES feature_group (id) ON DELETE CASCADE,
	path		TEXT NOT NULL UNIQUE,	-- relative to the store
	first_part	INTEGER NOT NULL,	-- the feature_part ids it copies:
	last_part	INTEGER NOT NULL,	-- first_part..last_part
	rows		INTEGER NOT NULL,
	bytes		INTEGER NOT NULL,
	sha256		TEXT NOT NULL,		-- of the whole file, in hex
	stat		TEXT NOT NULL		-- "inode:mtime_ns:ctime_ns" when made
);
CREATE INDEX feature_run_group ON feature_run (group_id, first_part);
