-- Rhizome store schema for PostgreSQL, version 4: account preferences.
--
-- An account's private preferences (app.bsky.actor.putPreferences), one
-- row per preference object in the order they were put (pos). value is
-- the object's JSON as the client sent it (bytea: the store never parses
-- it). A small per-account table: it cascades from actor.
CREATE TABLE preference (
	actor bigint NOT NULL REFERENCES actor (id) ON DELETE CASCADE,
	pos   bigint NOT NULL,
	type  text COLLATE "C" NOT NULL,
	value bytea NOT NULL,
	PRIMARY KEY (actor, pos)
);
