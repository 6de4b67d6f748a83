// Package identity resolves AT Protocol identities: DIDs to DID documents
// and handles to DIDs, with the bidirectional check that makes a handle
// trustworthy.
//
// The rules are atproto's (atproto.com/specs/did and /specs/handle):
//
//   - did:plc documents come from a PLC directory (any URL, the public one
//     by default); did:web documents from https://host/.well-known/did.json,
//     hostname-level only, never following a redirect;
//   - a document's id must equal the DID; its handle is the first valid
//     "at://" entry of alsoKnownAs, its signing key the first valid
//     "#atproto" verification method (Multikey or the legacy types), its
//     PDS the "#atproto_pds" service of type AtprotoPersonalDataServer;
//   - a handle resolves through the DNS TXT record _atproto.<handle>
//     ("did=...") and through https://<handle>/.well-known/atproto-did,
//     tried in parallel; DNS is preferred when both answer;
//   - a handle counts only if the DID it resolves to claims it back
//     (Resolver.VerifyHandle, Resolver.ResolveIdentity).
//
// Everything fetched is untrusted. Bodies are size-limited (MaxDocSize,
// MaxWellKnownSize), every lookup has a timeout, and the default HTTP
// client connects only to public addresses: GuardedDialer checks the
// address actually dialled, after DNS resolution and before connecting,
// so a hostile DID or handle cannot make the pod reach loopback, private
// networks or cloud metadata services. IsPublicAddr is the rule.
//
// A Resolver caches documents and handles (bounded, with a TTL, and with
// shorter-lived negative entries for definite failures); Purge drops an
// entry when an identity is known to have changed. Every error is a
// *rhizome.Error whose kind says whether retrying may help (Unavailable)
// or not (NotFound, Invalid, Forbidden, Conflict, TooLarge).
package identity
