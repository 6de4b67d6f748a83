// Package mst implements the Merkle Search Tree of AT Protocol repositories:
// a deterministic, content-addressed ordered map from record paths
// ("collection/rkey") to record CIDs.
//
// A Tree is lazy and store-backed: it reads only the nodes an operation
// touches, through a rhizome.BlockReader, and batches reads when it walks
// many nodes. Mutations copy the nodes on the path they change; nodes read
// from the store are immutable and may be shared. Write hashes the changed
// nodes and returns the new blocks, so a commit can store exactly those.
//
// Every node read from a store is checked against the tree's structural
// rules (key height matches the node's level, keys sorted and unique,
// prefix compression maximal, no empty subtrees) before it is used, so a
// tree built from hostile input fails with an Invalid or Corrupt error
// rather than misbehaving.
//
// Besides get, put, delete and ordered walks, the package computes diffs
// between two roots, inclusion and exclusion proofs, and the set of nodes a
// Sync 1.1 consumer needs to invert a commit's operations (see Invert).
package mst
