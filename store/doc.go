// Package store is the contract for everything a pod keeps apart from blob
// bytes: accounts, repositories (blocks, heads, the record index), sessions
// and app passwords, blob metadata, invite codes, the event log the firehose
// is derived from, and the operation log of the embedded PLC directory.
//
// The contract is written so that one implementation runs embedded
// (store/sqlite) and another on a shared database behind several pod
// processes (store/postgres): every multi-row change is one method call that
// the implementation makes atomic, compare-and-swap preconditions are
// explicit arguments rather than locks held between calls, and sequence
// numbers come from the store.
//
// Package storetest is the conformance suite every implementation must pass.
// Errors are *rhizome.Error: NotFound for anything absent, Exists for a
// unique value already taken, Conflict for a failed precondition.
package store
