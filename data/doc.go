// Package data is the AT Protocol data model for arbitrary lexicon data:
// generic Go values, their canonical DAG-CBOR encoding (DRISL), and their
// atproto JSON form. Records are stored, hashed and signed as CBOR and
// served as JSON; this package converts between the three without knowing
// any lexicon. Lexicon validation belongs to package lexicon.
//
// # Values
//
// A value is one of these Go types, and decoding produces only these:
//
//	null          nil
//	boolean       bool
//	integer       int64
//	string        string (valid UTF-8)
//	bytes         []byte ({"$bytes": "..."} in JSON)
//	link          cid.CID (tag 42 in CBOR, {"$link": "..."} in JSON)
//	list          []any
//	map (object)  map[string]any
//
// Decoders always return non-nil empty slices and maps, and byte strings
// that do not alias their input. There are no floats in the data model:
// every float type is rejected on encode, CBOR floats are rejected on
// decode, and a JSON number is accepted only if its value is an integer
// (123.0 and 1e2 are the integers 123 and 100; 1.5 is an error).
//
// For convenience the encoders also accept the other Go integer types
// (int, int32, uint16, …; a uint64 above MaxInt64 is an error), []string,
// nil slices and maps (encoded as empty ones), and a [Blob] struct, encoded
// as a blob map. Decoders never produce these.
//
// # Rules every value obeys
//
// The same rules apply to values however they arrive (Go, CBOR or JSON), so
// a value that encodes one way encodes the other way too and round-trips:
//
//   - a map's "$type", when present, is a non-empty string;
//   - a map whose "$type" is "blob" is a blob: exactly the keys $type,
//     ref (a link), mimeType (a string) and size (an integer ≥ 0);
//   - no map has a "$link" or "$bytes" key: in JSON those keys denote a
//     link or bytes, so a map holding them could not be written as JSON;
//   - containers nest at most [MaxDepth] deep.
//
// Legacy blobs ({"cid": "...", "mimeType": "..."}, written by early
// clients) are ordinary maps to the codecs, so records holding them keep
// their bytes and CID; [ParseBlob] and [Blobs] recognise them when reading.
//
// # CBOR
//
// [MarshalCBOR] writes DRISL: shortest-form integers and lengths, definite
// lengths only, map keys sorted length-first then bytewise, links as tag 42
// over a byte string with the 0x00 multibase prefix. [UnmarshalCBOR]
// accepts exactly that and nothing else (see package cbor for the reader):
// anything non-canonical, trailing bytes, too-deep nesting and map keys
// other than strings are errors, so decoding then re-encoding reproduces
// the input byte for byte. Decoding never allocates in proportion to a
// length the input claims but does not contain.
//
// # JSON
//
// [UnmarshalJSON] reads atproto JSON: input must be valid UTF-8, object
// keys must not repeat, {"$link": cid} and {"$bytes": base64} must have
// that single key, and $bytes accepts standard base64 with or without
// padding. [MarshalJSON] writes compact JSON with keys in bytewise order
// and $bytes as unpadded standard base64, as the reference implementation
// does.
//
// # Limits
//
// [MaxDepth] bounds nesting. The data-model specification sets no number;
// 128 is far deeper than any real record, bounds recursion on hostile
// input and rejects cyclic Go values instead of overflowing the stack.
// [MaxRecordSize] is the repository's bound on an encoded record.
//
// Every error is a *rhizome.Error of kind rhizome.Invalid (or
// rhizome.TooLarge for an oversized record) whose message names the place
// in the value where decoding or encoding failed.
package data
