-- Rhizome store schema, version 7: account tokens.
--
-- A short-lived, single-use token per account and purpose (the reference
-- PDS's emailed tokens; "plc_operation" confirms signPlcOperation). Only
-- a hash of the token is kept. Rows go with the actor.
CREATE TABLE account_token (
	actor      INTEGER NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
	purpose    TEXT NOT NULL,
	hash       TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (actor, purpose)
) WITHOUT ROWID;
