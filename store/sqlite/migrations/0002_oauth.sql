-- Rhizome store schema, version 2: the OAuth authorization server.
--
-- oauth_request holds pushed authorization requests until their code is
-- exchanged; code_hash is '' until approval, then the hash of the one-shot
-- code. oauth_family holds grants (token families): the hash of the
-- current refresh token only, revoked_at NULL while active. dpop_jti
-- remembers the DPoP proofs already used (keyed by a hash of the key
-- thumbprint and the jti) until they could no longer be replayed.
-- Expired requests and proofs are deleted a few at a time as new ones
-- arrive. DIDs are kept as text: grants are not account data. Times are
-- Unix milliseconds (UTC).

CREATE TABLE oauth_request (
	id             TEXT PRIMARY KEY,
	client_id      TEXT NOT NULL,
	redirect_uri   TEXT NOT NULL,
	state          TEXT NOT NULL,
	scope          TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	response_mode  TEXT NOT NULL,
	jkt            TEXT NOT NULL,
	login_hint     TEXT NOT NULL,
	expires_at     INTEGER NOT NULL,
	did            TEXT NOT NULL,
	handle         TEXT NOT NULL,
	device         TEXT NOT NULL,
	code_hash      TEXT NOT NULL
);
CREATE UNIQUE INDEX oauth_request_code ON oauth_request(code_hash) WHERE code_hash <> '';
CREATE INDEX oauth_request_expiry ON oauth_request(expires_at);

CREATE TABLE oauth_family (
	id           TEXT PRIMARY KEY,
	did          TEXT NOT NULL,
	client_id    TEXT NOT NULL,
	scope        TEXT NOT NULL,
	jkt          TEXT NOT NULL,
	refresh_hash TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	refreshed_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	revoked_at   INTEGER
);
CREATE INDEX oauth_family_did ON oauth_family(did, created_at);

CREATE TABLE dpop_jti (
	key        TEXT PRIMARY KEY,
	expires_at INTEGER NOT NULL
);
CREATE INDEX dpop_jti_expiry ON dpop_jti(expires_at);
