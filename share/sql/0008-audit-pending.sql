-- 0008-audit-pending.sql - the audit record of a change, committed with it.
-- A command that is about to change the store declares its audit record
-- (audit_intend()); every transaction it commits writes the record here,
-- so that no change is committed without one. Once the record is in
-- audit.log the row goes. A row left by a killed command is appended to
-- audit.log by the next process that appends or reads the audit trail,
-- marked "recovered"; its "txn" token tells whether it already was.
CREATE TABLE audit_pending (
	token		TEXT PRIMARY KEY,	-- one per command, random
	record		TEXT NOT NULL,		-- the record's fields, JSON
	created_us	INTEGER NOT NULL
);
