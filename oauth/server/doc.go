// Package server is the pod's OAuth authorization server, per the AT
// Protocol OAuth profile, and the resource-side check of its tokens.
//
// [Server] is an http.Handler for
//
//	GET  /.well-known/oauth-authorization-server   RFC 8414 metadata
//	GET  /.well-known/oauth-protected-resource     RFC 9728 metadata
//	POST /oauth/par                                pushed authorization request (required)
//	GET  /oauth/authorize?client_id&request_uri    sign-in, then consent page
//	POST /oauth/authorize/sign-in                  the sign-in form
//	POST /oauth/authorize/consent                  approve or deny
//	POST /oauth/token                              authorization_code, refresh_token
//	POST /oauth/revoke                             RFC 7009
//
// over three interfaces the pod implements: [Accounts] (password check),
// [Store] (requests, codes, grants; [MemoryStore] for one process and
// tests) and [ClientResolver] ([MetadataResolver] fetches client metadata
// documents from their client_id URLs).
//
// # The flow
//
// The PAR carries client_id, redirect_uri (one the metadata lists),
// scope (atproto plus what the metadata declares; include: sets are
// expanded through Config.PermissionSets), state, a PKCE S256 challenge
// and a DPoP proof; the request is bound to the proof's key. The browser
// then signs in and sees a consent page that says what the app will be
// able to do ([Describe]); approval redirects with code, state and iss,
// denial with error=access_denied. The code is good once, for a minute,
// with the PAR's DPoP key, redirect URI and PKCE verifier.
//
// A grant ([Family]) is what one approval gives: access tokens (HS256
// JWTs under Config.Secret, at most 30 minutes, with sub, scope, aud,
// client_id, cnf.jkt and the grant ID) and a refresh token of the form
// "<grant ID>.<secret>" that rotates on every use. Presenting a refresh
// token that was already used revokes the grant, which ends its access
// tokens too: [Server.Authenticate] reads the grant on every request.
// Public clients' sessions end after 14 days, confidential clients'
// after 180, refreshing or not.
//
// Every token and resource request needs a DPoP proof (package
// oauth/dpop) for the configured public origin, never one taken from
// request headers. Responses carry a DPoP-Nonce; a proof without a
// current nonce is refused with use_dpop_nonce (400 at the authorization
// server, 401 with a WWW-Authenticate challenge at the resource, see
// [Server.WriteAuthError]) and the client retries.
//
// # Pages
//
// The sign-in and consent pages are html/template files embedded in the
// binary: no scripts, no external resources but the app's https logo,
// labelled fields, X-Frame-Options DENY and CSP frame-ancestors 'none'.
// Forms carry a CSRF token, an HMAC under the secret of a random device
// cookie and the request ID; consent also needs the cookie that signed
// in.
//
// # Client metadata
//
// [MetadataResolver] accepts https client_ids naming a host (not an IP
// address), resolves the host, refuses the fetch before dialling if any
// address is not public (identity.IsPublicAddr: private, loopback,
// link-local, metadata service), and dials the checked address through
// identity.GuardedDialer, which checks again. It follows no redirects,
// reads at most 64 KiB, gives up after 5 seconds and caches documents for
// 10 minutes. Documents are validated per the profile: client_id equal
// to the URL, authorization_code grant and code response type,
// dpop_bound_access_tokens, token_endpoint_auth_method none or
// private_key_jwt, atproto in scope, https redirect URIs (native apps
// also loopback http and the reversed-domain private scheme), https
// logo and links. The profile's development clients, http://localhost
// with optional redirect_uri and scope parameters, are derived from the
// client_id without any fetch.
//
// # Confidential clients
//
// A client whose metadata says token_endpoint_auth_method
// private_key_jwt declares token_endpoint_auth_signing_alg (ES256 or
// ES256K) and publishes its keys in jwks or at an https jwks_uri, fetched
// like the metadata (same guard, limits and timeout) and cached with it;
// only EC keys with a kid and that algorithm count. Its PAR and every
// token request carry a client assertion (RFC 7523,
// client_assertion_type [AssertionType]): a JWS by the key its kid
// names, iss and sub the client_id, aud the issuer, iat within
// [AssertionMaxAge] (30 seconds of skew either way), exp in the future if
// present, and a jti never seen before, remembered in the DPoP
// verifier's replay cache. The assertion's key must not be the DPoP key.
// Refusals are invalid_client (401). Checks run after the DPoP proof's,
// so a use_dpop_nonce retry may resend the same assertion.
//
// The thumbprint of the PAR's assertion key is kept with the request
// (Request.ClientJKT): the code exchange must be signed by the same key.
// The grant keeps it too (Family.ClientJKT): every refresh must be, and a
// refresh after the key has left the client's metadata revokes the
// grant. Confidential grants last [ConfidentialSessionLife] (180 days,
// the profile's limit on a refresh token) instead of 14 days. A public
// client's grant stays public if the client later becomes confidential.
package server
