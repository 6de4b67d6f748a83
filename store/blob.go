package store

import (
	"context"
	"time"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Blob is what the store knows of an uploaded blob; its bytes live in a
// blobstore.Store.
type Blob struct {
	DID       syntax.DID
	CID       cid.CID // raw codec
	MimeType  string
	Size      int64
	CreatedAt time.Time
	// Temp is true until a record references the blob; temporary blobs
	// older than the grace period are collected.
	Temp bool
}

// MissingBlob is a blob a record references but the pod does not hold.
type MissingBlob struct {
	CID    cid.CID
	Record syntax.ATURI
}

// Blobs stores blob metadata and which records reference which blobs.
type Blobs interface {
	// PutBlob records an upload. Putting a blob the account already has
	// keeps the existing row (and its Temp state).
	PutBlob(ctx context.Context, b Blob) error
	Blob(ctx context.Context, did syntax.DID, c cid.CID) (Blob, error)
	// ListBlobs pages through the account's permanent blobs by CID string
	// (the cursor is a CID string). If since is set, only blobs referenced
	// by records written after that rev.
	ListBlobs(ctx context.Context, did syntax.DID, since syntax.TID, p Page) ([]cid.CID, error)
	// ListMissingBlobs pages through blobs referenced by the account's
	// records that it has not uploaded (the cursor is a CID string).
	ListMissingBlobs(ctx context.Context, did syntax.DID, p Page) ([]MissingBlob, error)
	// TempBlobs lists temporary blobs created before cutoff, oldest first.
	TempBlobs(ctx context.Context, cutoff time.Time, limit int) ([]Blob, error)
	// DeleteTempBlob removes a blob's metadata if it is still temporary;
	// Conflict if a record references it now, NotFound if absent.
	DeleteTempBlob(ctx context.Context, did syntax.DID, c cid.CID) error
}
