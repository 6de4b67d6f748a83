-- Rhizome store schema, version 2: account preferences.
--
-- An account's private preferences (app.bsky.actor.putPreferences), one
-- row per preference object in the order they were put (pos). value is
-- the object's JSON as the client sent it. Rows go with the actor.
CREATE TABLE preference (
	actor INTEGER NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
	pos   INTEGER NOT NULL,
	type  TEXT NOT NULL,
	value BLOB NOT NULL,
	PRIMARY KEY (actor, pos)
) WITHOUT ROWID;
