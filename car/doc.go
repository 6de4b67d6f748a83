// Package car reads and writes CAR v1 archives (Content Addressable
// aRchives), the format the AT Protocol uses to move repositories:
// sync.getRepo exports, account migration, and the "blocks" field of
// firehose commit events.
//
// A CAR v1 stream is an unsigned-varint length and a DAG-CBOR header
// {"roots": [links], "version": 1}, followed by sections, each an
// unsigned-varint length, a binary CID and the block bytes; the length
// covers CID and block together.
//
// Both directions stream: a Writer buffers through bufio and does not
// allocate per block, and a Reader holds at most one block (bounded by
// MaxBlockSize) plus a fixed read buffer, so a CAR of any size is read in
// bounded memory.
//
// The Reader is strict but interoperable. It accepts exactly what the
// reference implementations (go-car, @ipld/car, the atproto PDS) write: a
// canonical DRISL header holding only "roots" and "version", minimal
// varints, and blessed CIDs (CIDv1, sha2-256, dag-cbor or raw). It hashes
// every block and rejects one that does not match its CID, so a block that
// Next returns can be trusted to be what its CID says. An empty roots list
// is allowed, as @ipld/car allows it, though AT Protocol CARs normally name
// exactly one root (the commit); zero-length sections, which some CARv2
// tools treat as padding, are not.
//
// Because every accepted input is canonical, reading a CAR and writing the
// same roots and blocks again with a Writer reproduces the input byte for
// byte.
package car
