-- Rhizome store schema, version 1.
--
-- DIDs are interned in actor and referenced by integer everywhere else, so
-- the big tables (block, record) carry a small key. Repository CIDs are
-- stored as their 36 binary bytes; blob CIDs as strings, because blobs are
-- listed in CID-string order. Times are Unix milliseconds (UTC).

CREATE TABLE actor (
	id  INTEGER PRIMARY KEY,
	did TEXT NOT NULL UNIQUE
);

CREATE TABLE account (
	actor         INTEGER PRIMARY KEY REFERENCES actor(id) ON DELETE CASCADE,
	handle        TEXT NOT NULL COLLATE NOCASE UNIQUE,
	email         TEXT NOT NULL,
	email_key     TEXT NOT NULL, -- lower-cased email, for lookups
	password_hash TEXT NOT NULL,
	signing_key   BLOB NOT NULL,
	status        TEXT NOT NULL,
	created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX account_email ON account(email_key) WHERE email_key <> '';

-- repo is the head of each repository.
CREATE TABLE repo (
	actor      INTEGER PRIMARY KEY REFERENCES actor(id) ON DELETE CASCADE,
	commit_cid BLOB NOT NULL,
	rev        TEXT NOT NULL,
	data_cid   BLOB NOT NULL
);

-- block holds every repository block, tagged with the rev that wrote it.
-- Rows are appended in rowid order, so a commit's blocks share pages; the
-- (actor, cid) index finds them by CID, the (actor, rev) index by rev.
CREATE TABLE block (
	id    INTEGER PRIMARY KEY,
	actor INTEGER NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
	cid   BLOB NOT NULL,
	rev   TEXT NOT NULL,
	data  BLOB NOT NULL
);
CREATE UNIQUE INDEX block_cid ON block(actor, cid);
CREATE INDEX block_rev ON block(actor, rev);

-- record is the record index: collection/rkey -> CID of the record block
-- and the block's row, so reading a record is two seeks.
CREATE TABLE record (
	actor      INTEGER NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
	collection TEXT NOT NULL,
	rkey       TEXT NOT NULL,
	cid        BLOB NOT NULL,
	block      INTEGER, -- block.id, NULL if the block was never stored
	PRIMARY KEY (actor, collection, rkey)
) WITHOUT ROWID;

CREATE TABLE blob (
	actor      INTEGER NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
	cid        TEXT NOT NULL,
	mime_type  TEXT NOT NULL,
	size       INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	temp       INTEGER NOT NULL,
	PRIMARY KEY (actor, cid)
) WITHOUT ROWID;
CREATE INDEX blob_temp ON blob(created_at) WHERE temp = 1;

-- blob_ref records which record references which blob, and the rev of the
-- commit that wrote the record.
CREATE TABLE blob_ref (
	actor      INTEGER NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
	collection TEXT NOT NULL,
	rkey       TEXT NOT NULL,
	cid        TEXT NOT NULL,
	rev        TEXT NOT NULL,
	PRIMARY KEY (actor, collection, rkey, cid)
) WITHOUT ROWID;
CREATE INDEX blob_ref_cid ON blob_ref(actor, cid);

CREATE TABLE refresh_token (
	id           TEXT PRIMARY KEY,
	actor        INTEGER NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
	app_password TEXT NOT NULL,
	expires_at   INTEGER NOT NULL,
	next_id      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX refresh_token_actor ON refresh_token(actor, app_password);

CREATE TABLE app_password (
	actor         INTEGER NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
	name          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	privileged    INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (actor, name)
) WITHOUT ROWID;

CREATE TABLE invite (
	code       TEXT PRIMARY KEY,
	available  INTEGER NOT NULL,
	disabled   INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- invite_use keeps its DIDs as text: uses outlive deleted accounts.
CREATE TABLE invite_use (
	id   INTEGER PRIMARY KEY,
	code TEXT NOT NULL REFERENCES invite(code) ON DELETE CASCADE,
	did  TEXT NOT NULL
);
CREATE INDEX invite_use_code ON invite_use(code, id);

-- event is the firehose outbox. A new event's seq is one more than the
-- largest in the log or, if trimming emptied it, than event_floor: seqs
-- never go back, and no counter row is rewritten on every append.
CREATE TABLE event (
	seq  INTEGER PRIMARY KEY,
	did  TEXT NOT NULL,
	type TEXT NOT NULL,
	time INTEGER NOT NULL,
	body BLOB NOT NULL
);
CREATE TABLE event_floor (seq INTEGER NOT NULL);
INSERT INTO event_floor(seq) VALUES (0);
CREATE INDEX event_time ON event(time);

CREATE TABLE plc_op (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	did        TEXT NOT NULL,
	cid        BLOB NOT NULL,
	op         BLOB NOT NULL,
	nullified  INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX plc_op_did ON plc_op(did, seq);
CREATE UNIQUE INDEX plc_op_cid ON plc_op(did, cid);
