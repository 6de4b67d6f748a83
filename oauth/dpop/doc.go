// Package dpop checks DPoP proofs (RFC 9449) for the pod's authorization
// server and resource server, as the AT Protocol OAuth profile requires on
// every token and resource request.
//
// A proof is a compact JWS in the DPoP request header ([FromHeader]).
// [Verifier.Verify] checks, in this order, and refuses with a
// *rhizome.Error of kind rhizome.Unauthorized whose Name is the OAuth error
// code ([CodeInvalidProof], [CodeUseNonce], [CodeInvalidToken]):
//
//   - the form: three unpadded base64url segments, at most MaxProofSize
//     bytes, header and payload JSON objects without duplicate members;
//   - the header: typ dpop+jwt, alg ES256 or ES256K (never none, HMAC or
//     RSA), no crit, and a jwk that is a public EC key on the curve of the
//     alg, on the curve, without private members ([ParseKey]);
//   - the signature by that jwk over the first two segments: ES256 with
//     crypto/ecdsa, ES256K with the keys package; high-S signatures pass
//     (JOSE libraries make them), the jti being what makes a proof unique;
//   - the claims: jti (at most MaxJTILen bytes), htm equal to the request
//     method, htu equal to the request URL after [NormalizeHTU] (scheme and
//     host lower-cased, default port, dot segments, percent-encoding;
//     query and fragment ignored), iat no older than MaxAge and no further
//     off than Leeway, and ath equal to [AccessTokenHash] of the access
//     token when one is presented (and absent when none is);
//   - the key against the thumbprint the token is bound to (cnf.jkt), so
//     a stolen access token is useless without its key;
//   - the server nonce ([Nonces]): HMAC-SHA256 of the time window under a
//     shared secret, so every node issues and accepts the same nonces
//     without storage; accepted for the previous, current and next window;
//     a missing or stale nonce gives CodeUseNonce ([NeedsNonce]), after
//     which the server sends [Nonces.Next] in the DPoP-Nonce header;
//   - last, the jti against a [ReplayCache], keyed by the key's thumbprint
//     and the jti, for as long as the proof could pass the time check;
//     [MemoryReplay] serves one node, bounded, refusing rather than
//     forgetting when full. Proofs refused earlier use up no entry.
//
// [Key.Thumbprint] is the RFC 7638 JWK thumbprint to bind tokens to
// (cnf.jkt); [Challenge] is the WWW-Authenticate value of a 401.
// [NewProof] signs a proof with a keys.Signer, as a client does (tests,
// and the pod acting as a client): the signer's low-S r||s over SHA-256 of
// the signing input is a valid ES256 or ES256K JWS signature.
//
// Other JWTs signed with such keys (OAuth client assertions) use the same
// strict parsing: [ParseJWS] splits and decodes a compact JWS,
// [JWS.Verify] checks it against a [Key] (alg, crit, signature) before
// its claims are read, and [SignJWS] signs one. [Verifier.ReplayCache]
// shares the proofs' cache for their jti.
//
// The JOSE handling is written here, small and strict, rather than taken
// from a library: go-jose has no ES256K, and a proof needs only this.
package dpop
