// Package pds is the personal data server's logic, independent of HTTP:
// accounts and sessions, record writes that become signed commits, reads,
// blobs and the sync reads. The xrpc package puts it on the wire; the
// store and blobstore contracts keep its state, so the same PDS runs on
// the embedded SQLite store or on a shared database behind several nodes.
//
// Every write to a repository is serialised per account in this process
// and checked again by the store's compare-and-swap on the head, so two
// nodes never fork a repository: the loser re-reads the head and retries.
package pds
