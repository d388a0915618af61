-- 0003-pipeline.sql - pipeline runs, their steps, and the step cache of
-- mlops-pipeline. Statuses follow SageMaker Pipelines: a run is
-- Executing, Succeeded, Failed or Stopped (cancelled); a step is Pending,
-- Executing, Succeeded, Failed, Skipped (its condition was false, or a
-- step it needs was skipped) or Stopped.

CREATE TABLE pipeline_run (
	id		TEXT PRIMARY KEY,	-- "20261125T150920-3fa9c1"
	pipeline	TEXT NOT NULL,		-- the pipeline's name
	status		TEXT NOT NULL,
	executor	TEXT NOT NULL,		-- "local" or "slurm"
	spec_path	TEXT NOT NULL,		-- the pipeline file, as run
	spec_hash	TEXT NOT NULL,		-- its content, a blob
	spec_dir	TEXT NOT NULL,		-- where templates were found
	overrides	TEXT NOT NULL,		-- JSON array of "-p" NAME=VALUE
	params		TEXT NOT NULL,		-- JSON object: resolved values
	git_commit	TEXT,			-- the commit it ran, if known
	git_repo	TEXT,
	jobs		INTEGER NOT NULL,
	use_cache	INTEGER NOT NULL,
	runner_pid	INTEGER,		-- the process running it
	user		TEXT NOT NULL,
	created_us	INTEGER NOT NULL,
	ended_us	INTEGER,
	failure_reason	TEXT
);
CREATE INDEX pipeline_run_created ON pipeline_run (created_us);

CREATE TABLE pipeline_step (
	run_id		TEXT NOT NULL REFERENCES pipeline_run (id)
			ON DELETE CASCADE,
	name		TEXT NOT NULL,
	position	INTEGER NOT NULL,	-- order in the pipeline file
	status		TEXT NOT NULL,
	cache_key	TEXT,
	cache_source	TEXT,		-- on a cache hit: the run it came from
	attempts	INTEGER NOT NULL DEFAULT 0,
	exit_code	INTEGER,
	job_id		TEXT,		-- the Slurm job of the last attempt
	properties	TEXT,		-- JSON the step wrote, if it declares so
	failure_reason	TEXT,
	started_us	INTEGER,
	ended_us	INTEGER,
	PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

-- A successful step's outputs, keyed by the SHA-256 of everything that
-- decides them (see mlops-pipeline(1), CACHING). The blobs are held by
-- object_ref owner "cache:KEY".
CREATE TABLE pipeline_cache (
	key		TEXT PRIMARY KEY CHECK (length(key) = 64),
	pipeline	TEXT NOT NULL,
	step		TEXT NOT NULL,
	run_id		TEXT NOT NULL,		-- the run that produced it
	properties	TEXT,
	created_us	INTEGER NOT NULL
);

CREATE TABLE pipeline_cache_output (
	key		TEXT NOT NULL REFERENCES pipeline_cache (key)
			ON DELETE CASCADE,
	path		TEXT NOT NULL,		-- relative to the workspace
	hash		TEXT NOT NULL,
	mode		INTEGER NOT NULL,	-- permission bits
	PRIMARY KEY (key, path)
) WITHOUT ROWID;
