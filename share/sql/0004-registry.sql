-- 0004-registry.sql - the model registry (mlops-registry): model groups,
-- their numbered versions with artifacts, the approval history, aliases
-- and model cards. Versions are immutable once registered: triggers
-- refuse any change to what a version is (artifacts, metrics, params,
-- lineage); only its status moves, and every move is a row of
-- registry_status_change.

CREATE TABLE registry_group (
	name		TEXT PRIMARY KEY,
	description	TEXT,
	tags		TEXT NOT NULL DEFAULT '{}',	-- JSON object
	created_by	TEXT NOT NULL,
	created_us	INTEGER NOT NULL,
	-- The number the next version gets: numbers are never reused.
	next_version	INTEGER NOT NULL DEFAULT 1 CHECK (next_version >= 1)
);

CREATE TABLE registry_version (
	grp		TEXT NOT NULL REFERENCES registry_group (name),
	version		INTEGER NOT NULL CHECK (version >= 1),
	status		TEXT NOT NULL CHECK (status IN
			('PendingManualApproval', 'Approved', 'Rejected')),
	framework	TEXT NOT NULL CHECK (framework IN
			('xgboost', 'exec', 'http')),
	entry		TEXT,
	metrics		TEXT NOT NULL DEFAULT '{}',	-- JSON object
	params		TEXT NOT NULL DEFAULT '{}',	-- JSON, strings
	meta		TEXT NOT NULL DEFAULT '{}',	-- JSON, strings
	lineage		TEXT NOT NULL DEFAULT '{}',	-- JSON object
	origin		TEXT,		-- JSON: where an import came from
	description	TEXT,
	created_by	TEXT NOT NULL,
	created_us	INTEGER NOT NULL,
	PRIMARY KEY (grp, version)
);
CREATE INDEX registry_version_status ON registry_version (grp, status);

CREATE TRIGGER registry_version_immutable
BEFORE UPDATE OF grp, version, framework, entry, metrics, params, meta,
	lineage, origin, created_by, created_us ON registry_version
BEGIN
	SELECT RAISE(ABORT, 'model versions are immutable');
END;
CREATE TRIGGER registry_version_kept
BEFORE DELETE ON registry_version
BEGIN
	SELECT RAISE(ABORT, 'model versions are never deleted');
END;

CREATE TABLE registry_artifact (
	grp		TEXT NOT NULL,
	version		INTEGER NOT NULL,
	seq		INTEGER NOT NULL,	-- order given at register
	name		TEXT NOT NULL,		-- basename
	hash		TEXT NOT NULL CHECK (length(hash) = 64),
	size		INTEGER NOT NULL CHECK (size >= 0),
	PRIMARY KEY (grp, version, seq),
	UNIQUE (grp, version, name),
	FOREIGN KEY (grp, version) REFERENCES registry_version (grp, version)
);
CREATE TRIGGER registry_artifact_immutable
BEFORE UPDATE ON registry_artifact
BEGIN
	SELECT RAISE(ABORT, 'model artifacts are immutable');
END;
CREATE TRIGGER registry_artifact_kept
BEFORE DELETE ON registry_artifact
BEGIN
	SELECT RAISE(ABORT, 'model artifacts are never deleted');
END;

-- Every status a version has had, oldest first: who, when, why. The
-- first row of a version is its registration (previous is NULL).
CREATE TABLE registry_status_change (
	seq		INTEGER PRIMARY KEY,
	grp		TEXT NOT NULL,
	version		INTEGER NOT NULL,
	previous	TEXT,
	status		TEXT NOT NULL,
	user		TEXT NOT NULL,
	time_us		INTEGER NOT NULL,
	note		TEXT,
	FOREIGN KEY (grp, version) REFERENCES registry_version (grp, version)
);
CREATE INDEX registry_status_change_version
	ON registry_status_change (grp, version);
CREATE TRIGGER registry_status_change_kept
BEFORE UPDATE ON registry_status_change
BEGIN
	SELECT RAISE(ABORT, 'the approval history is append-only');
END;

CREATE TABLE registry_alias (
	grp		TEXT NOT NULL REFERENCES registry_group (name),
	alias		TEXT NOT NULL,
	version		INTEGER NOT NULL,
	set_by		TEXT NOT NULL,
	set_us		INTEGER NOT NULL,
	PRIMARY KEY (grp, alias),
	FOREIGN KEY (grp, version) REFERENCES registry_version (grp, version)
);

-- Model cards: every change is a new revision; older ones stay readable.
CREATE TABLE registry_card (
	grp		TEXT NOT NULL,
	version		INTEGER NOT NULL,
	revision	INTEGER NOT NULL CHECK (revision >= 1),
	status		TEXT NOT NULL CHECK (status IN
			('Draft', 'PendingReview', 'Approved', 'Archived')),
	content		TEXT NOT NULL,		-- JSON, the card's sections
	change		TEXT NOT NULL,		-- what this revision did
	user		TEXT NOT NULL,
	time_us		INTEGER NOT NULL,
	PRIMARY KEY (grp, version, revision),
	FOREIGN KEY (grp, version) REFERENCES registry_version (grp, version)
);
CREATE TRIGGER registry_card_immutable
BEFORE UPDATE ON registry_card
BEGIN
	SELECT RAISE(ABORT, 'card revisions are immutable');
END;
