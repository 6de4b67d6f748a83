// Package syntax holds the identifiers of the AT Protocol as typed string
// values: DID, Handle, AtIdentifier, NSID, RecordKey, TID, ATURI, Datetime,
// Language, CIDString and URI.
//
// Each type has a ParseX function that validates its input completely and
// returns the typed value; every other constructor (NewTID, NewATURI,
// NewDatetime, TIDClock) produces only valid values. A value built by a plain
// conversion such as DID(s) is unchecked: methods on such a value do not
// panic, but their results are unspecified. Always parse network input.
//
// The parsers scan bytes by hand rather than use regular expressions, because
// every XRPC request passes through them, and none allocates on success. On
// failure they return a *rhizome.Error of kind rhizome.Invalid, so callers
// can test rhizome.Is(err, rhizome.Invalid) without reading messages.
//
// The rules follow the atproto specifications (atproto.com/specs: did,
// handle, nsid, record-key, tid, at-uri-scheme, lexicon string formats) and
// the atproto interop test vectors, which the tests run in full.
//
// TIDs for new records and repository revisions come from a TIDClock, which
// is strictly monotonic and safe for concurrent use.
package syntax
