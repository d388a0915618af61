-- 0013-sync.sql - environments and replication (`mlops remote`, `mlops
-- sync`): the other stores this one knows by name, the files a sync
-- brought in, and which feature data each training dataset was built
-- from, so that lineage answers "which data trained this model" in any
-- store the model reaches.

-- A remote: another store (an environment) named for `mlops sync`.
CREATE TABLE remote (
	name		TEXT PRIMARY KEY,
	path		TEXT NOT NULL,		-- absolute .mlops directory
	added_us	INTEGER NOT NULL,
	added_by	TEXT NOT NULL
);

-- Every file a sync copied into this store (capture files, offline
-- feature files), with the hash it had at the sender: a file that is
-- here with its hash is never copied again, and fsck-like checks can
-- compare the copy with what was sent.
CREATE TABLE sync_file (
	path		TEXT PRIMARY KEY,	-- relative to the store
	hash		TEXT NOT NULL,		-- SHA-256 of the content
	bytes		INTEGER NOT NULL,
	kind		TEXT NOT NULL CHECK (kind IN ('capture', 'features')),
	item		TEXT NOT NULL,		-- the endpoint or group
	source		TEXT NOT NULL,		-- the sender's environment
	synced_us	INTEGER NOT NULL
);

-- A training dataset `mlops-feature dataset -o FILE` wrote: the file's
-- hash and the state of each feature group it read (data version,
-- records, last ingest), JSON. Registration looks its inputs up here.
CREATE TABLE feature_dataset (
	hash		TEXT NOT NULL,
	path		TEXT NOT NULL,
	groups		TEXT NOT NULL,		-- JSON array
	as_of_us	INTEGER,		-- NULL: everything
	created_us	INTEGER NOT NULL,
	created_by	TEXT NOT NULL,
	PRIMARY KEY (hash, path)
);
