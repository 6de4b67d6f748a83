// Package cbor holds the low-level primitives of DRISL, the deterministic
// subset of DAG-CBOR the AT Protocol uses: appending canonical items to a
// byte slice, and a strict reader that rejects anything non-canonical
// (non-minimal lengths, indefinite lengths, floats, tags other than 42,
// unsorted or duplicate map keys, invalid UTF-8, trailing bytes).
//
// The reader never allocates in proportion to a length the input merely
// claims: every length is checked against the bytes actually remaining.
// Generic values (maps, lists, JSON) are package data's concern; the MST
// and commits use these primitives directly for speed.
package cbor
