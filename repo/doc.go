// Package repo implements AT Protocol repositories on top of package mst:
// signed v3 commits, batched writes that produce one commit with the
// operations and blocks a firehose event needs, and CAR export and
// verified import.
//
// A Repo reads and writes blocks through a rhizome.Blocks and signs with a
// keys.Signer; it never sees private key bytes. Persisting blocks and the
// repository head atomically is the caller's (the store's) job: Apply
// returns everything a commit adds so the store can write it in one
// transaction.
package repo
