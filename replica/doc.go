// Package replica keeps live, verified copies of repositories other pods
// host: a replica follows its primary so that, if the primary disappears,
// the DID's owner can promote the copy and carry on here.
//
// A replica is an account row with status store.Replica (package pds
// serves its reads and refuses its writes). A Follower owns one
// replica's loop:
//
//   - initial sync: com.atproto.sync.getRepo, verified against the DID
//     document's #atproto key, stored with the primary's signed commit as
//     the head; then every blob the records reference
//     (com.atproto.sync.listBlobs / getBlob, each checked against its CID);
//   - then the primary's firehose (com.atproto.sync.subscribeRepos),
//     filtered to the DID: every #commit is verified (signature, the rev
//     chain, its ops inverted to prevData, which must be the replica's own
//     head) and applied to the local tree, whose new root must be the
//     commit's; the blobs its records reference are fetched first;
//   - catching up: the cursor (the primary's sequence number) is saved, so
//     a restarted follower resumes where it stopped; when the primary no
//     longer holds that cursor (#info OutdatedCursor), a #sync arrives, or
//     a commit does not chain onto the replica's head, the follower
//     fetches the repository again (getRepo, the whole of it) and
//     replaces its copy.
//
// A replica is silent on this pod's own firehose: replicated commits and
// the replica's creation emit no events. The DID does not name this pod,
// so a relay would reject them as coming from the wrong host, and the log
// stays the log of the accounts this pod hosts. Promotion announces the
// account as a migration's activation does: #identity, #account active,
// and the head re-signed by the pod's key (#sync).
//
// Each replica's primary URL and cursor live in a small JSON file in the
// data folder (replicas/), written atomically; the repository itself is
// in the record store, so losing the file loses only the cursor (the
// follower then fetches the repository again).
package replica
