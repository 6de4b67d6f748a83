package disk

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Delete removes blob c of did; deleting an absent blob is not an error.
func (s *BlobStore) Delete(ctx context.Context, did syntax.DID, c cid.CID) error {
	const op = "blobstore delete"
	if err := ctx.Err(); err != nil {
		return rhizome.Errorf(op, rhizome.Other, "delete blob: %w", err)
	}
	dir, file, err := s.locate(op, did, c)
	if rhizome.Is(err, rhizome.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	err = os.Remove(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return rhizome.Errorf(op, rhizome.Other, "delete blob %s: %w", c, err)
	}
	return syncOrErr(op, dir)
}

// DeleteAll removes every blob of did. The account's directory is first
// renamed into tmp, so its blobs vanish together, then removed; if the
// removal fails part way the rest is invisible and Open removes it.
func (s *BlobStore) DeleteAll(ctx context.Context, did syntax.DID) error {
	const op = "blobstore delete all"
	acct, err := s.accountDir(op, did)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return rhizome.Errorf(op, rhizome.Other, "delete blobs: %w", err)
	}
	trash, err := os.MkdirTemp(s.tmp, delPrefix+"*")
	if err != nil {
		return rhizome.Errorf(op, rhizome.Other, "delete blobs of %s: %w", did, err)
	}
	err = s.moveAway(acct, filepath.Join(trash, "account"))
	// The blobs are gone from view once the rename is done: a failure to
	// reclaim their space is left for Open rather than reported.
	_ = os.RemoveAll(trash)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rhizome.Errorf(op, rhizome.Other, "delete blobs of %s: %w", did, err)
	}
	return nil
}

// moveAway renames the account directory acct to to, between commits.
func (s *BlobStore) moveAway(acct, to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Rename(acct, to); err != nil {
		return err
	}
	return syncDir(s.dir)
}
