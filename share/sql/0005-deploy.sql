-- 0005-deploy.sql - serverless inference endpoints (mlops-deploy).

-- One row per endpoint. The model columns describe the version being
-- served; prev_* keep the one it replaced, for `rollback`. Every change
-- bumps generation, which is how a running gateway notices it.
CREATE TABLE endpoint (
	name		TEXT PRIMARY KEY,
	model		TEXT NOT NULL,		-- "GROUP/N"
	framework	TEXT NOT NULL,		-- "xgboost" | "exec" | "http"
	entry		TEXT,			-- command of exec/http runtimes
	model_dir	TEXT NOT NULL,		-- materialised artifacts, store-relative
	artifact	TEXT,			-- the model file in model_dir
	prev_model	TEXT,
	prev_framework	TEXT,
	prev_entry	TEXT,
	prev_model_dir	TEXT,
	prev_artifact	TEXT,
	max_concurrency	INTEGER NOT NULL CHECK (max_concurrency BETWEEN 1 AND 200),
	memory_mb	INTEGER NOT NULL CHECK (memory_mb BETWEEN 1024 AND 6144),
	provisioned	INTEGER NOT NULL CHECK (provisioned BETWEEN 0 AND 200),
	idle_timeout_us	INTEGER NOT NULL,
	capture_pct	REAL NOT NULL CHECK (capture_pct BETWEEN 0 AND 100),
	timeout_us	INTEGER NOT NULL,
	max_payload	INTEGER NOT NULL,
	generation	INTEGER NOT NULL DEFAULT 1,
	created_us	INTEGER NOT NULL,
	created_by	TEXT NOT NULL,
	updated_us	INTEGER NOT NULL
);

-- API keys: only the SHA-256 of a key is kept.
CREATE TABLE endpoint_key (
	id		TEXT PRIMARY KEY,	-- the key's first 8 characters
	endpoint	TEXT NOT NULL REFERENCES endpoint (name) ON DELETE CASCADE,
	hash		TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
	created_us	INTEGER NOT NULL,
	created_by	TEXT NOT NULL
);
CREATE INDEX endpoint_key_endpoint ON endpoint_key (endpoint);

-- Counters a running gateway writes back every few seconds, for
-- `describe`; since the gateway started.
CREATE TABLE endpoint_stats (
	endpoint	TEXT PRIMARY KEY,
	requests	INTEGER NOT NULL,
	errors		INTEGER NOT NULL,
	cold_starts	INTEGER NOT NULL,
	captured	INTEGER NOT NULL,
	capture_dropped	INTEGER NOT NULL,
	updated_us	INTEGER NOT NULL
);

-- Each cold start of an exec/http worker that a request waited for.
CREATE TABLE endpoint_cold_start (
	seq		INTEGER PRIMARY KEY,
	endpoint	TEXT NOT NULL,
	model		TEXT NOT NULL,
	time_us		INTEGER NOT NULL,
	duration_us	INTEGER NOT NULL
);
CREATE INDEX endpoint_cold_start_endpoint ON endpoint_cold_start (endpoint);
