// Package blobstore is the contract for blob bytes: images, video and other
// files that records reference by CID. Metadata (MIME type, which records
// use a blob) lives in the record store; this contract only keeps bytes,
// per account, addressed by the CID of their content.
//
// Implementations: blobstore/disk (the embedded default) and, later, an S3
// one. Package blobtest is the conformance suite every implementation runs.
package blobstore

import (
	"context"
	"io"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Store keeps blob bytes per account. Implementations are safe for
// concurrent use, and a blob is either wholly present or absent: a failed
// or interrupted Put leaves nothing visible.
type Store interface {
	// Put streams r into a new blob of did, hashing as it goes, and returns
	// its CID (raw codec, SHA-256) and size. If r yields more than max bytes
	// Put stops reading and fails with rhizome.TooLarge. Putting bytes the
	// account already has succeeds and changes nothing.
	Put(ctx context.Context, did syntax.DID, r io.Reader, max int64) (cid.CID, int64, error)
	// Get opens a blob for reading from offset off, at most n bytes (n < 0:
	// to the end), and returns its total size. NotFound if absent; an
	// offset beyond the end is rhizome.Invalid.
	Get(ctx context.Context, did syntax.DID, c cid.CID, off, n int64) (io.ReadCloser, int64, error)
	// Stat returns the blob's size; NotFound if absent.
	Stat(ctx context.Context, did syntax.DID, c cid.CID) (int64, error)
	// Delete removes a blob; deleting an absent blob is not an error.
	Delete(ctx context.Context, did syntax.DID, c cid.CID) error
	// DeleteAll removes every blob of did.
	DeleteAll(ctx context.Context, did syntax.DID) error
}
