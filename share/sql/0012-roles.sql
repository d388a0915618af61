-- 0012-roles.sql - personas and who holds them (`mlops role`).
-- The built-in personas (data-scientist, mlops-engineer, service, admin)
-- and the activities every action needs are defined by the programs
-- (lib/core/access.c), so that a newer program brings its new verbs'
-- activities along; the store keeps the custom personas that
-- `mlops role define` makes, and the grants. A store with no grant
-- allows everything; once one exists, every change checks the acting
-- user's activities.
CREATE TABLE role_persona (
	name		TEXT PRIMARY KEY,	-- a custom persona
	defined_by	TEXT NOT NULL,
	defined_us	INTEGER NOT NULL
);
CREATE TABLE role_activity (
	persona		TEXT NOT NULL REFERENCES role_persona (name)
			ON DELETE CASCADE,
	activity	TEXT NOT NULL,
	PRIMARY KEY (persona, activity)
) WITHOUT ROWID;
CREATE TABLE role_grant (
	user		TEXT NOT NULL,
	persona		TEXT NOT NULL,		-- built-in or in role_persona
	granted_by	TEXT NOT NULL,
	granted_us	INTEGER NOT NULL,
	PRIMARY KEY (user, persona)
) WITHOUT ROWID;
-- An API key bound to a persona is accepted only while that persona
-- holds deploy.invoke (and always while the store has no grant).
ALTER TABLE endpoint_key ADD COLUMN persona TEXT;
