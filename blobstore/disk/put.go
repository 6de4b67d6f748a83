package disk

import (
	"context"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"io/fs"
	"math"
	"os"
	"sync"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// renameTries bounds how often Put recreates the account directory when a
// DeleteAll in another process moves it away between mkdir and rename.
const renameTries = 5

// bufPool holds the copy buffers of Put.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// Put streams r into a temporary file, hashing as it writes, and renames it
// into place as blob of did. It reads at most max+1 bytes.
func (s *BlobStore) Put(ctx context.Context, did syntax.DID, r io.Reader, max int64) (cid.CID, int64, error) {
	const op = "blobstore put"
	acct, err := s.accountDir(op, did)
	if err != nil {
		return cid.CID{}, 0, err
	}
	if max < 0 {
		return cid.CID{}, 0, rhizome.Errorf(op, rhizome.Invalid, "negative size limit %d", max)
	}
	if err := ctx.Err(); err != nil {
		return cid.CID{}, 0, rhizome.Errorf(op, rhizome.Other, "put blob: %w", err)
	}
	tmp, sum, n, err := s.writeTemp(ctx, op, r, max)
	if err != nil {
		return cid.CID{}, 0, err
	}
	c := cid.FromDigest(cid.Raw, sum)
	if err := s.commit(op, tmp, acct, c, n); err != nil {
		return cid.CID{}, 0, err
	}
	return c, n, nil
}

// writeTemp copies r into a new temporary file and makes it durable. It
// returns the file's path, the SHA-256 and the size; on failure it removes
// the file.
func (s *BlobStore) writeTemp(ctx context.Context, op string, r io.Reader, max int64) (string, [32]byte, int64, error) {
	var sum [32]byte
	f, err := os.CreateTemp(s.tmp, tmpPrefix+"*")
	if err != nil {
		return "", sum, 0, rhizome.Errorf(op, rhizome.Other, "create temp file: %w", err)
	}
	sum, n, err := copyHashed(ctx, op, f, r, max)
	if err == nil {
		if serr := f.Sync(); serr != nil {
			err = rhizome.Errorf(op, rhizome.Other, "sync temp file: %w", serr)
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = rhizome.Errorf(op, rhizome.Other, "close temp file: %w", cerr)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", sum, 0, err
	}
	return f.Name(), sum, n, nil
}

// copyHashed copies r to w through SHA-256, checking ctx before each read
// and failing with TooLarge as soon as more than max bytes arrive.
func copyHashed(ctx context.Context, op string, w io.Writer, r io.Reader, max int64) ([32]byte, int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	limit := max
	if max < math.MaxInt64 {
		limit = max + 1
	}
	src := &io.LimitedReader{R: r, N: limit}
	h := sha256.New()
	var n int64
	for {
		k, done, err := copyChunk(ctx, op, w, h, src, *bp)
		n += int64(k)
		if err == nil && n > max {
			err = rhizome.Errorf(op, rhizome.TooLarge, "blob exceeds %d bytes", max)
		}
		if err != nil || done {
			return [32]byte(h.Sum(nil)), n, err
		}
	}
}

// copyChunk does one read of src into buf and writes what it got to h and
// w. It reports how many bytes it copied and whether src is at its end.
func copyChunk(ctx context.Context, op string, w io.Writer, h hash.Hash, src io.Reader, buf []byte) (int, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, rhizome.Errorf(op, rhizome.Other, "read blob: %w", err)
	}
	k, rerr := src.Read(buf)
	h.Write(buf[:k])
	if _, err := w.Write(buf[:k]); err != nil {
		return k, false, rhizome.Errorf(op, rhizome.Other, "write temp file: %w", err)
	}
	switch {
	case rerr == io.EOF:
		return k, true, nil
	case rerr != nil:
		return k, false, rhizome.Errorf(op, rhizome.Other, "read blob: %w", rerr)
	}
	return k, false, nil
}

// commit moves the temporary file tmp into place as blob c of the account
// in acct, unless an intact copy is there already, and makes the result
// durable. It removes tmp in every case.
func (s *BlobStore) commit(op, tmp, acct string, c cid.CID, n int64) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	dir, file := blobPath(acct, c)
	if fi, err := os.Lstat(file); err == nil && fi.Mode().IsRegular() && fi.Size() == n {
		_ = os.Remove(tmp)
		return syncOrErr(op, dir)
	}
	var err error
	for range renameTries {
		if err = mkdirPath(acct, dir); err == nil {
			err = os.Rename(tmp, file)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		return rhizome.Errorf(op, rhizome.Other, "store blob %s: %w", c, err)
	}
	return syncOrErr(op, dir)
}

// mkdirPath creates the account directory and its prefix directory dir.
func mkdirPath(acct, dir string) error {
	if err := mkdirSynced(acct); err != nil {
		return err
	}
	return mkdirSynced(dir)
}

// syncOrErr fsyncs dir and wraps a failure as an error of op. A directory
// gone meanwhile is no failure: a DeleteAll in another process removed it,
// and the blob with it, after it was stored.
func syncOrErr(op, dir string) error {
	if err := syncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rhizome.Errorf(op, rhizome.Other, "sync %s: %w", dir, err)
	}
	return nil
}
