-- Rhizome store schema for PostgreSQL, version 8: account tokens.
--
-- A short-lived, single-use token per account and purpose (the reference
-- PDS's emailed tokens; "plc_operation" confirms signPlcOperation). Only
-- a hash of the token is kept. Rows cascade from actor.
CREATE TABLE account_token (
	actor      bigint NOT NULL REFERENCES actor (id) ON DELETE CASCADE,
	purpose    text COLLATE "C" NOT NULL,
	hash       text COLLATE "C" NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (actor, purpose)
);
