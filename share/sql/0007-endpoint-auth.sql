-- 0007-endpoint-auth.sql - an endpoint's key policy, so that revoking
-- its last API key does not open it: 'public' serves anyone, 'key'
-- needs a valid key (and, with no key left, refuses everyone).
-- Creating a key makes an endpoint 'key'; only `mlops-deploy update
-- --public` makes it 'public' again.
ALTER TABLE endpoint ADD COLUMN auth TEXT NOT NULL DEFAULT 'public'
	CHECK (auth IN ('public', 'key'));
UPDATE endpoint SET auth = 'key'
	WHERE name IN (SELECT endpoint FROM endpoint_key);
