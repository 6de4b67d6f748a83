-- Rhizome store schema for PostgreSQL, version 4: the OAuth authorization
-- server, shared by every node.
--
-- oauth_request holds pushed authorization requests until their code is
-- exchanged; code_hash is '' until approval, then the hash of the one-shot
-- code, which TakeCode deletes with the row (one DELETE … RETURNING: of
-- nodes racing for a code, one gets the row). oauth_family holds grants
-- (token families): the hash of the current refresh token only, rotated
-- by a conditional UPDATE; revoked_at is NULL while active. dpop_jti
-- remembers the DPoP proofs already used (keyed by a hash of the key
-- thumbprint and the jti) until they could no longer be replayed; nodes
-- claim a key with INSERT … ON CONFLICT. It is logged on purpose: an
-- emptied cache after a crash or fail-over would accept replays. Expired
-- requests and proofs are deleted a few at a time as new ones arrive.
-- DIDs are kept as text: grants are not account data.
CREATE TABLE oauth_request (
	id             text PRIMARY KEY,
	client_id      text NOT NULL,
	redirect_uri   text NOT NULL,
	state          text NOT NULL,
	scope          text NOT NULL,
	code_challenge text NOT NULL,
	response_mode  text NOT NULL,
	jkt            text NOT NULL,
	login_hint     text NOT NULL,
	expires_at     timestamptz NOT NULL,
	did            text NOT NULL,
	handle         text NOT NULL,
	device         text NOT NULL,
	code_hash      text NOT NULL
);
CREATE UNIQUE INDEX oauth_request_code ON oauth_request (code_hash) WHERE code_hash <> '';
CREATE INDEX oauth_request_expiry ON oauth_request (expires_at);

CREATE TABLE oauth_family (
	id           text PRIMARY KEY,
	did          text COLLATE "C" NOT NULL,
	client_id    text NOT NULL,
	scope        text NOT NULL,
	jkt          text NOT NULL,
	refresh_hash text NOT NULL,
	created_at   timestamptz NOT NULL,
	refreshed_at timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	revoked_at   timestamptz
);
CREATE INDEX oauth_family_did ON oauth_family (did, created_at);

CREATE TABLE dpop_jti (
	key        text PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX dpop_jti_expiry ON dpop_jti (expires_at);
