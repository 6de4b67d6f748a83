-- Rhizome store schema, version 4: confidential OAuth clients.
--
-- client_jkt is the RFC 7638 thumbprint of the key a confidential client
-- (private_key_jwt) signed its client assertion with: at the pushed
-- request, so that the code exchange uses the same key, and for the
-- grant, so that every refresh does and the grant ends when the key
-- leaves the client's metadata. '' for public clients, and for every row
-- written before this version (all of them public: confidential clients
-- were refused).

ALTER TABLE oauth_request ADD COLUMN client_jkt TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_family ADD COLUMN client_jkt TEXT NOT NULL DEFAULT '';
