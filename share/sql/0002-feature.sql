-- 0002-feature.sql - the feature store (mlops-feature): feature groups,
-- the online store (latest record per entity) and the list of offline
-- partition files (gzip CSV under offline/GROUP/year=/month=/day=/hour=).

-- A feature group: its definition as canonical JSON (types, identifier,
-- event time, TTL, online/offline flags), plus running totals that
-- `describe` shows without scanning anything.
CREATE TABLE feature_group (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	definition	TEXT NOT NULL,		-- JSON, see lib/feature/group.c
	created_us	INTEGER NOT NULL,
	created_by	TEXT NOT NULL,
	record_count	INTEGER NOT NULL DEFAULT 0,	-- rows ingested
	last_ingest_us	INTEGER			-- NULL until the first ingest
);

-- The online store: one row per (group, record identifier), the record
-- with the greatest event time. A soft delete keeps the row with
-- deleted = 1 and no values; a hard delete removes it. The primary key
-- makes a get one B-tree point lookup.
CREATE TABLE feature_online (
	group_id	INTEGER NOT NULL
			REFERENCES feature_group (id) ON DELETE CASCADE,
	record_id	TEXT NOT NULL,
	event_time_us	INTEGER NOT NULL,
	write_time_us	INTEGER NOT NULL,
	deleted		INTEGER NOT NULL DEFAULT 0,
	record		BLOB,			-- values packed by fgroup_pack
	PRIMARY KEY (group_id, record_id)
) WITHOUT ROWID;

-- The offline store's files, in the order they were written: the id
-- orders writes, so that "the latest write wins" has one meaning. Every
-- row of a file shares its write_time. Files not listed here (left by a
-- crash between rename and commit) are ignored by readers.
CREATE TABLE feature_part (
	id		INTEGER PRIMARY KEY,
	group_id	INTEGER NOT NULL
			REFERENCES feature_group (id) ON DELETE CASCADE,
	path		TEXT NOT NULL UNIQUE,	-- relative to the store
	rows		INTEGER NOT NULL,
	bytes		INTEGER NOT NULL,	-- compressed size
	write_time_us	INTEGER NOT NULL
);
CREATE INDEX feature_part_group ON feature_part (group_id, id);
