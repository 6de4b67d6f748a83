// Package sqlite implements the store contract (store.Store) on one SQLite
// database file, through the pure-Go modernc.org/sqlite driver: the
// embedded default home of a pod's accounts, repositories, sessions, blob
// metadata, invites, event log and PLC operations.
//
// The database runs in WAL mode so reads never wait for writes. Reads use
// a pool of query-only connections. All writes go through one connection
// owned by a writer goroutine that commits the writes waiting at the same
// moment together, each in its own savepoint (group commit): concurrent
// writers never see SQLITE_BUSY, a failing write does not disturb the
// others, and a batch pays for one fsync. Commits are fsynced before they
// are acknowledged (synchronous=FULL) unless Options.SyncNormal is set.
//
// The schema is versioned: numbered migrations are embedded in the binary
// and applied in one transaction by Open, which refuses a database whose
// schema is newer than the binary. DIDs are interned as integers; repository
// CIDs are stored as their 36 binary bytes. Blocks are appended to one
// table, tagged with the rev of the commit that wrote them and found through
// a unique (DID, CID) index; the record index keeps the row of each record's
// block and a copy of its bytes, so reading or listing records scans the
// index alone (a block no record uses any more is deleted by the commit
// that let it go). The WAL is
// checkpointed every 10,000 pages rather than SQLite's 1,000, so the
// checkpoints' writes and fsyncs are spread over more commits.
//
// The database also holds the OAuth authorization server's state:
// [Store.OAuth] is its server.Store and [Store.DPoPReplay] its
// dpop.ReplayCache (oauth.go, migration 2).
package sqlite
