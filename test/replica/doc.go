// Package replica tests live replicas end to end with real pods on one
// PLC directory: a primary takes writes while a replica follows it; the
// replica's copy equals the primary's by CID and verifies; a replica
// killed mid-stream catches up from its cursor; the primary is killed
// and the replica promoted with the user's key, after which the official
// TypeScript client (resolving the DID afresh) reads every acknowledged
// write from it and writes to it; bad input is refused; and the lag under
// 200 writes/s is measured.
package replica
