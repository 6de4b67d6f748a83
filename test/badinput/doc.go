// Package badinput holds an end-to-end test that bad requests change
// nothing in a Rhizome pod.
//
// The test builds cmd/rhizome, runs it as a child process on a loopback
// port with an embedded PLC directory, fills it with two accounts, records
// and a blob, and snapshots the store three ways: through the API (CARs,
// record lists, heads, blobs, DID documents), as the logical content of
// every SQLite table (read from a copy of the database after a graceful
// stop), and as the bytes of every other file in the data folder. It then
// sends a table of malformed, oversized, unauthorised and conflicting
// requests, asserting each one's HTTP status and XRPC error name, and
// requires all three snapshots to be unchanged afterwards.
//
// RHIZOME_BIN runs a prebuilt binary instead of building one. The package
// has no non-test code.
package badinput
