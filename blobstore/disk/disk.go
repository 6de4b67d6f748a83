package disk

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

const (
	dirPerm    = 0o700
	tmpDirName = "tmp"
	tmpPrefix  = "put-"
	delPrefix  = "del-"
	// staleAfter is how long a temporary file must sit untouched before
	// Open removes it.
	staleAfter = time.Hour
	// prefixAt is where the CID string's digest characters start: "b"
	// and the 4 header bytes take the first 7 characters and 2 bits of
	// the 8th, so characters from index 8 depend on the digest only.
	prefixAt = 8
)

// BlobStore is a blobstore.Store in a local directory. It is safe for
// concurrent use, also by several processes sharing the directory.
type BlobStore struct {
	dir string // absolute
	tmp string // dir/tmp
	// mu orders this process's commits (shared) against DeleteAll moving
	// an account away (exclusive); other processes are met by retries.
	mu sync.RWMutex
}

var _ blobstore.Store = (*BlobStore)(nil)

// Open opens the blob store in dir, creating dir if needed, and removes
// what crashed Puts and DeleteAlls left behind.
func Open(dir string) (*BlobStore, error) {
	const op = "blobstore open"
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "resolve %q: %w", dir, err)
	}
	s := &BlobStore{dir: abs, tmp: filepath.Join(abs, tmpDirName)}
	if err := createRoot(abs); err != nil {
		return nil, rhizome.Errorf(op, rhizome.Other, "create %s: %w", abs, err)
	}
	if err := mkdirSynced(s.tmp); err != nil {
		return nil, rhizome.Errorf(op, rhizome.Other, "create %s: %w", s.tmp, err)
	}
	if err := s.cleanTemp(time.Now().Add(-staleAfter)); err != nil {
		return nil, rhizome.Errorf(op, rhizome.Other, "clean %s: %w", s.tmp, err)
	}
	return s, nil
}

// createRoot makes sure dir is a directory, creating it (and its parents)
// if absent.
func createRoot(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, dirPerm); err != nil {
			return err
		}
		return syncDir(filepath.Dir(dir))
	}
	if err == nil && !fi.IsDir() {
		return errors.New("not a directory")
	}
	return err
}

// cleanTemp removes half-deleted accounts, and temporary files of Puts
// last modified before cutoff.
func (s *BlobStore) cleanTemp(cutoff time.Time) error {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !isLeftover(e, cutoff) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.tmp, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// isLeftover reports whether the tmp entry e is garbage by cutoff.
func isLeftover(e fs.DirEntry, cutoff time.Time) bool {
	if strings.HasPrefix(e.Name(), delPrefix) {
		return true
	}
	fi, err := e.Info()
	return err == nil && fi.ModTime().Before(cutoff)
}

// accountDir returns the directory of did's blobs; Invalid if did does not
// parse, so an unchecked value cannot reach the filesystem.
func (s *BlobStore) accountDir(op string, did syntax.DID) (string, error) {
	if _, err := syntax.ParseDID(string(did)); err != nil {
		return "", rhizome.Errorf(op, rhizome.Invalid, "check did: %w", err)
	}
	return filepath.Join(s.dir, blobstore.AccountSegment(did)), nil
}

// locate returns the directory and path of blob c of did. Invalid for a
// bad DID or the undefined CID; NotFound for a CID that is not raw, since
// no such blob is ever stored.
func (s *BlobStore) locate(op string, did syntax.DID, c cid.CID) (dir, file string, err error) {
	acct, err := s.accountDir(op, did)
	if err != nil {
		return "", "", err
	}
	if !c.Defined() {
		return "", "", rhizome.E(op, rhizome.Invalid, "undefined CID")
	}
	if c.Codec() != cid.Raw {
		return "", "", rhizome.Errorf(op, rhizome.NotFound, "blob %s: not a raw CID", c)
	}
	dir, file = blobPath(acct, c)
	return dir, file, nil
}

// blobPath returns the directory and path of blob c under acct.
func blobPath(acct string, c cid.CID) (dir, file string) {
	name := c.String()
	dir = filepath.Join(acct, name[prefixAt:prefixAt+2])
	return dir, filepath.Join(dir, name)
}
