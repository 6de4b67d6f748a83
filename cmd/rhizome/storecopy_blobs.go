package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// loadTempBlobs reads the source's temporary blobs (uploaded, not yet
// referenced by a record) once, by account.
func (c *copier) loadTempBlobs(ctx context.Context) error {
	temps, err := c.from.TempBlobs(ctx, time.Now().Add(24*time.Hour), 1<<30)
	if err != nil {
		return fmt.Errorf("list temporary blobs: %w", err)
	}
	c.temps = map[string][]store.Blob{}
	for _, b := range temps {
		c.temps[string(b.DID)] = append(c.temps[string(b.DID)], b)
	}
	return nil
}

// copyBlobs copies the account's blobs, permanent and temporary.
func (c *copier) copyBlobs(ctx context.Context, did syntax.DID) error {
	cursor := ""
	for {
		page, err := c.from.ListBlobs(ctx, did, "", store.Page{Cursor: cursor, Limit: 500})
		if err != nil {
			return fmt.Errorf("list blobs: %w", err)
		}
		for _, id := range page {
			if err := c.copyBlob(ctx, did, id); err != nil {
				return err
			}
		}
		if len(page) < 500 {
			break
		}
		cursor = page[len(page)-1].String()
	}
	for _, b := range c.temps[string(did)] {
		if err := c.copyBlob(ctx, did, b.CID); err != nil {
			return err
		}
	}
	return nil
}

// copyBlob copies one blob's bytes and metadata unless the target holds
// them already, and verifies the bytes on the target.
func (c *copier) copyBlob(ctx context.Context, did syntax.DID, id cid.CID) error {
	if c.bfrom == nil {
		return rhizome.Errorf("store copy", rhizome.Invalid, "the source holds blobs: give --blobs-from and --blobs-to")
	}
	meta, err := c.from.Blob(ctx, did, id)
	if err != nil {
		return fmt.Errorf("read blob %s: %w", id, err)
	}
	have, err := c.to.Blob(ctx, did, id)
	switch {
	case err == nil && (have.Size != meta.Size || have.MimeType != meta.MimeType):
		return differs("blob %s of %s has other metadata on the target", id, did)
	case err == nil && c.verifyBlob(ctx, did, id, meta.Size) == nil:
		c.prog.update(false, func(n *copyCounts) { n.Skipped++; n.VerifiedBlobs++ })
		return nil
	case err != nil && !rhizome.Is(err, rhizome.NotFound):
		return fmt.Errorf("read target blob %s: %w", id, err)
	}
	if err := c.putBytes(ctx, did, id, meta.Size); err != nil {
		return err
	}
	if err := c.to.PutBlob(ctx, meta); err != nil {
		return fmt.Errorf("store blob %s: %w", id, err)
	}
	if err := c.verifyBlob(ctx, did, id, meta.Size); err != nil {
		return err
	}
	c.prog.update(false, func(n *copyCounts) { n.Blobs++; n.BlobBytes += meta.Size; n.VerifiedBlobs++ })
	return nil
}

// putBytes streams a blob from the source to the target, replacing what
// the target may hold under its CID, and checks what was stored.
func (c *copier) putBytes(ctx context.Context, did syntax.DID, id cid.CID, size int64) error {
	if err := c.bto.Delete(ctx, did, id); err != nil {
		return fmt.Errorf("clear target blob %s: %w", id, err)
	}
	rc, n, err := c.bfrom.Get(ctx, did, id, 0, -1)
	if err != nil {
		return fmt.Errorf("read source blob %s: %w", id, err)
	}
	defer rc.Close()
	if n != size {
		return rhizome.Errorf("store copy", rhizome.Corrupt, "source blob %s is %d bytes, its metadata says %d", id, n, size)
	}
	got, m, err := c.bto.Put(ctx, did, rc, size)
	if err != nil {
		return fmt.Errorf("write target blob %s: %w", id, err)
	}
	if got != id || m != size {
		c.bto.Delete(ctx, did, got)
		return rhizome.Errorf("store copy", rhizome.Corrupt, "source blob %s does not match its CID (read %d bytes hashing to %s)", id, m, got)
	}
	return nil
}

// verifyBlob reads a blob back from the target and checks its size and
// hash.
func (c *copier) verifyBlob(ctx context.Context, did syntax.DID, id cid.CID, size int64) error {
	rc, n, err := c.bto.Get(ctx, did, id, 0, -1)
	if err != nil {
		return fmt.Errorf("verify blob %s: %w", id, err)
	}
	defer rc.Close()
	h := sha256.New()
	m, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("verify blob %s: %w", id, err)
	}
	if n != size || m != size || cid.FromDigest(cid.Raw, [32]byte(h.Sum(nil))) != id {
		return rhizome.Errorf("verify blob", rhizome.Corrupt, "blob %s on the target does not match its CID or size", id)
	}
	return nil
}
