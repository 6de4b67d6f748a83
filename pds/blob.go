package pds

import (
	"context"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// UploadBlob streams a blob into storage and records it as temporary until
// a record references it.
func (p *PDS) UploadBlob(ctx context.Context, did syntax.DID, mimeType string, r io.Reader) (data.Blob, error) {
	mt, err := cleanMIME(mimeType)
	if err != nil {
		return data.Blob{}, err
	}
	if err := p.checkImportable(ctx, did); err != nil {
		return data.Blob{}, err
	}
	unlock := p.blobLocks.lock(did) // against CollectTempBlobs deleting these bytes
	defer unlock()
	c, n, err := p.blobs.Put(ctx, did, r, p.cfg.MaxBlobSize)
	if err != nil {
		if rhizome.Is(err, rhizome.TooLarge) {
			return data.Blob{}, rhizome.E("upload blob", rhizome.TooLarge, err)
		}
		return data.Blob{}, err
	}
	b := store.Blob{DID: did, CID: c, MimeType: mt, Size: n, CreatedAt: store.Now(), Temp: true}
	if err := p.store.PutBlob(ctx, b); err != nil {
		return data.Blob{}, err
	}
	got, err := p.store.Blob(ctx, did, c) // an earlier upload keeps its type
	if err != nil {
		return data.Blob{}, err
	}
	return data.Blob{Ref: c, MimeType: got.MimeType, Size: got.Size}, nil
}

// cleanMIME checks a declared media type and drops its parameters.
func cleanMIME(s string) (string, error) {
	if s == "" || s == "*/*" {
		return "application/octet-stream", nil
	}
	mt, _, err := mime.ParseMediaType(s)
	if err != nil || !strings.Contains(mt, "/") || len(mt) > 128 {
		return "", rhizome.Errorf("upload blob", rhizome.Invalid, "Content-Type %q is not a media type", s)
	}
	return mt, nil
}

// BlobReader is an open blob.
type BlobReader struct {
	io.ReadCloser
	Blob store.Blob
}

// GetBlob opens a blob (or a byte range of it) for reading.
func (p *PDS) GetBlob(ctx context.Context, did syntax.DID, c cid.CID, off, n int64) (*BlobReader, error) {
	if err := p.checkReadable(ctx, did); err != nil {
		return nil, err
	}
	b, err := p.store.Blob(ctx, did, c)
	if err != nil {
		return nil, notFoundAs(err, "BlobNotFound")
	}
	rc, _, err := p.blobs.Get(ctx, did, c, off, n)
	if err != nil {
		return nil, notFoundAs(err, "BlobNotFound")
	}
	return &BlobReader{ReadCloser: rc, Blob: b}, nil
}

// ListBlobs pages through an account's blobs.
func (p *PDS) ListBlobs(ctx context.Context, did syntax.DID, since syntax.TID, pg store.Page) ([]cid.CID, error) {
	if err := p.checkReadable(ctx, did); err != nil {
		return nil, err
	}
	return p.store.ListBlobs(ctx, did, since, pg)
}

// ListMissingBlobs pages through blobs records reference but the pod lacks.
func (p *PDS) ListMissingBlobs(ctx context.Context, did syntax.DID, pg store.Page) ([]store.MissingBlob, error) {
	return p.store.ListMissingBlobs(ctx, did, pg)
}

// CollectTempBlobs deletes blobs no record took up within the grace
// period, and returns how many it deleted.
func (p *PDS) CollectTempBlobs(ctx context.Context) (int, error) {
	old, err := p.store.TempBlobs(ctx, time.Now().Add(-p.cfg.TempBlobGrace), 1000)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range old {
		done, err := p.collect(ctx, b)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

func (p *PDS) collect(ctx context.Context, b store.Blob) (bool, error) {
	unlock := p.blobLocks.lock(b.DID)
	defer unlock()
	err := p.store.DeleteTempBlob(ctx, b.DID, b.CID)
	if rhizome.Is(err, rhizome.Conflict) || rhizome.Is(err, rhizome.NotFound) {
		return false, nil // a record took it up meanwhile
	}
	if err != nil {
		return false, err
	}
	return true, p.blobs.Delete(ctx, b.DID, b.CID)
}
