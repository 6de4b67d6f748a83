// Package keys holds the pod's signing keys: the repo signing key and the
// PLC rotation keys, on either of the two curves the AT Protocol allows,
// NIST P-256 (ES256) and secp256k1 (ES256K).
//
// Callers sign through the [Signer] interface and verify through
// [PublicKey]; neither ever hands out private key bytes. Private key
// material enters only through [SignerFromBytes] and [SignerFromMultibase]
// and leaves only through [ExportPrivateMultibase], all three meant for the
// keystore alone.
//
// The rules are atproto's (https://atproto.com/specs/cryptography):
//
//   - content is hashed with SHA-256 before signing and verifying;
//   - signatures are 64 bytes, the compact big-endian r||s form;
//   - signatures must be "low-S" (S ≤ N/2): Sign always produces one, and
//     Verify rejects the high-S twin of a valid signature, so a signature
//     cannot be altered without invalidating it;
//   - DER-encoded signatures are rejected;
//   - public keys travel as did:key strings or as multikeys (multibase
//     base58btc of a multicodec-prefixed compressed point).
//
// Every failure is a *rhizome.Error; malformed input and signatures that do
// not verify are of kind rhizome.Invalid. The elliptic-curve arithmetic is
// indigo's atcrypto package, which this package wraps.
package keys
