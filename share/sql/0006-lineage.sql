-- 0006-lineage.sql - what lineage needs beyond the first schema: the
-- state of each feature group's data, which pipeline steps read, and
-- what each step read and wrote.

-- Bumped in the transaction of every ingest that stores rows and every
-- record delete, so that (data_version, created_us) names the group's
-- data exactly: a pipeline step that reads the group is cached on it.
ALTER TABLE feature_group ADD COLUMN data_version INTEGER NOT NULL
	DEFAULT 0;

-- A step's inputs as it read them ({path: sha256}, and {"feature:GROUP":
-- state} for feature groups) and, once it succeeded, its declared
-- outputs ({path: sha256}), JSON; NULL when not known. They let a model
-- version find the step that made its artifact and what that step read.
ALTER TABLE pipeline_step ADD COLUMN inputs TEXT;
ALTER TABLE pipeline_step ADD COLUMN outputs TEXT;
