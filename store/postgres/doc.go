// Package postgres implements the store contract (store.Store) on a
// PostgreSQL database through pgx, for pods that outgrow one machine:
// several pod processes ("nodes") may share one database, and every
// guarantee of the contract holds across them.
//
// # Opening
//
// Open takes a postgres:// URL. Its schema=NAME parameter keeps the tables
// in that schema (created if missing; the connections' search_path is set
// to it), so one database can hold several stores; pool_max_conns=N bounds
// the connections (default 2×GOMAXPROCS, at least 8). Connections come
// from pgxpool, which pings a connection idle for over a second before
// reuse (a restarted server costs failed calls, not a broken pool) and
// drops one left broken or mid-transaction.
//
// # Schema
//
// Numbered migrations (migrations/NNNN_*.sql) are embedded and applied by
// Open in one transaction, recorded in schema_migrations; a schema newer
// than the binary is refused. Processes starting at once do not need
// advisory locks: each creates the table and its lock row (version 0) if
// missing (a lost creation race is retried), then locks that row with
// SELECT … FOR UPDATE inside the migrating transaction, so migrators run
// one after another and the later ones find nothing to do.
//
// The schema follows store/sqlite's: DIDs are interned in actor and the big
// tables (block, record, blob_ref) are keyed by its integer id; blocks are
// keyed by (actor, CID) and tagged with the latest rev that wrote them
// (indexed by (actor, rev) for BlocksSince); the record index holds each
// record's CID and is joined to its block, so a record with its value is
// one query. The big tables have no foreign keys (bulk inserts pay no
// per-row check; DeleteAccount deletes their rows itself); the small
// per-account tables cascade from actor. Listed keys are compared in byte
// order (COLLATE "C") whatever the database's locale. Times are timestamptz
// at millisecond precision, read back in UTC.
//
// # Writes and round trips
//
// Each multi-row change is one transaction on one connection (txn.go).
// Statements are pipelined: BEGIN rides on the first batch and COMMIT on
// the last, so a change that must check before it writes (a
// compare-and-swap) costs two round trips and one that need not check
// costs one. Blocks, record ops and blob references are written with
// unnest arrays, one statement each per commit; an import larger than a
// chunk (10,000 blocks or 8 MiB) sends its block chunks one after another,
// and since it has just emptied the repository (Replace) it inserts
// without ON CONFLICT, several times faster.
// Statements are prepared once per connection (pgx's statement cache).
// Reads are single queries: GetBlocks is one "cid = ANY($2)" query for any
// number of CIDs; BlocksSince streams one query and, if the callback fails,
// cancels it rather than draining a large repository.
//
// # Concurrency across nodes
//
// ApplyCommit's compare-and-swap is one statement: UPDATE repo … WHERE
// commit_cid = prev (a genesis commit inserts the head with ON CONFLICT DO
// NOTHING). Under READ COMMITTED the row lock makes racing writers on any
// connection wait for the first, re-read the row and find the head moved:
// exactly one wins, the others get a Conflict and write nothing.
//
// Event sequence numbers come from a counter row (table counter), taken
// with UPDATE counter SET last = last + 1 … RETURNING in the transaction
// that appends the event, as late as possible in it. The row stays locked
// until that transaction ends, so: numbers are gap-free among committed
// events (a rollback gives its number back); and they commit in order,
// because the next writer cannot take N+1 before the holder of N has
// committed or rolled back, so a reader that sees N+1 already sees every
// number below it. A PostgreSQL SEQUENCE gives neither: nextval is not
// rolled back (gaps), and transactions that drew 7 and 8 may commit 8
// first, so a firehose follower reading "after 6" would see 8 and skip 7
// for good. The price is that event-appending commits are serialized at
// the counter, each holding it through its commit's WAL flush: throughput
// of such writes is bounded by one flush at a time (see BENCHMARKS). The
// PLC log's seq uses a second row of the same table; taking it first also
// serializes AppendPLC so its check of the DID's last operation cannot be
// overtaken.
//
// The SQL sticks to what Postgres-protocol distributed databases accept:
// no advisory locks, no extensions, no LOCK TABLE; only row locks (with
// SKIP LOCKED in the OAuth tables' pruning), ON CONFLICT, unnest,
// data-modifying WITH and recursive WITH. Under a
// serializable database a lost race may surface as a serialization
// failure (SQLSTATE 40001) instead of a clean compare-and-swap miss; it is
// reported as Unavailable, like a deadlock or a lock timeout.
//
// # Errors
//
// Every error is a *rhizome.Error with the operation: unique violations are
// Exists, other constraint and data errors Invalid, "no rows" NotFound,
// connection failures, serialization failures and deadlocks Unavailable,
// server-reported corruption Corrupt.
//
// # OAuth
//
// The database also holds the OAuth authorization server's state, shared
// by every node: [Store.OAuth] is its server.Store and [Store.DPoPReplay]
// its dpop.ReplayCache (oauth.go, migration 4). A code is taken by one
// DELETE … RETURNING, a refresh token rotated by one conditional UPDATE,
// a proof remembered by one INSERT … ON CONFLICT DO UPDATE … WHERE expired:
// the row lock decides every race between nodes.
package postgres
