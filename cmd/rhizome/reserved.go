package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/syntax"
)

// reservedDir implements pds.ReservedKeys with one file per DID in a
// folder of the data folder: the sealed key (bound to the DID by the
// keyring), named by the SHA-256 of the DID. Reservations survive
// restarts, so a DID that names a reserved key in its document can still
// be hosted after the pod restarts.
type reservedDir struct {
	dir string
	mu  sync.Mutex
}

func newReservedDir(dir string) (*reservedDir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, rhizome.E("open reserved keys", rhizome.Other, err)
	}
	return &reservedDir{dir: dir}, nil
}

func (r *reservedDir) path(did syntax.DID) string {
	sum := sha256.Sum256([]byte(did))
	return filepath.Join(r.dir, hex.EncodeToString(sum[:])+".sealed")
}

func (r *reservedDir) Reserve(ctx context.Context, did syntax.DID, sealed []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if got, err := r.Reserved(ctx, did); err == nil {
		return got, nil
	}
	des, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, rhizome.E("reserve signing key", rhizome.Other, err)
	}
	if len(des) >= pds.MaxReservedKeys {
		return nil, rhizome.E("reserve signing key", rhizome.Unavailable, "too many reserved keys; try later")
	}
	if err := os.WriteFile(r.path(did), sealed, 0o600); err != nil {
		return nil, rhizome.E("reserve signing key", rhizome.Other, err)
	}
	return sealed, nil
}

func (r *reservedDir) Reserved(_ context.Context, did syntax.DID) ([]byte, error) {
	b, err := os.ReadFile(r.path(did))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, rhizome.Errorf("read reserved key", rhizome.NotFound, "no key is reserved for %s", did)
	}
	if err != nil {
		return nil, rhizome.E("read reserved key", rhizome.Other, err)
	}
	return b, nil
}

func (r *reservedDir) Release(_ context.Context, did syntax.DID) error {
	err := os.Remove(r.path(did))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rhizome.E("release reserved key", rhizome.Other, err)
	}
	return nil
}
