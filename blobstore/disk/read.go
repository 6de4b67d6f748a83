package disk

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// section is the ReadCloser Get returns: a range of an open blob file. It
// also offers ReadAt, Seek and Size through the embedded SectionReader,
// relative to the range.
type section struct {
	*io.SectionReader
	f *os.File
}

// Close closes the blob file.
func (s *section) Close() error { return s.f.Close() }

// Get opens blob c of did and returns a reader of at most n bytes from off
// (n < 0: to the end) and the blob's size. NotFound if absent; an offset
// below zero or beyond the end is Invalid.
func (s *BlobStore) Get(ctx context.Context, did syntax.DID, c cid.CID, off, n int64) (io.ReadCloser, int64, error) {
	const op = "blobstore get"
	if err := ctx.Err(); err != nil {
		return nil, 0, rhizome.Errorf(op, rhizome.Other, "get blob: %w", err)
	}
	_, file, err := s.locate(op, did, c)
	if err != nil {
		return nil, 0, err
	}
	f, size, err := openBlob(op, file, c)
	if err != nil {
		return nil, 0, err
	}
	if off < 0 || off > size {
		f.Close()
		return nil, 0, rhizome.Errorf(op, rhizome.Invalid, "offset %d outside blob %s of %d bytes", off, c, size)
	}
	if n < 0 || n > size-off {
		n = size - off
	}
	return &section{io.NewSectionReader(f, off, n), f}, size, nil
}

// openBlob opens the blob file and returns it with its size.
func openBlob(op, file string, c cid.CID) (*os.File, int64, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, 0, statError(op, c, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		f.Close()
		return nil, 0, rhizome.Errorf(op, rhizome.Corrupt, "blob %s: %w", c, err)
	}
	return f, fi.Size(), nil
}

// Stat returns the size of blob c of did; NotFound if absent.
func (s *BlobStore) Stat(ctx context.Context, did syntax.DID, c cid.CID) (int64, error) {
	const op = "blobstore stat"
	if err := ctx.Err(); err != nil {
		return 0, rhizome.Errorf(op, rhizome.Other, "stat blob: %w", err)
	}
	_, file, err := s.locate(op, did, c)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(file)
	if err != nil {
		return 0, statError(op, c, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, rhizome.Errorf(op, rhizome.Corrupt, "blob %s: not a regular file", c)
	}
	return fi.Size(), nil
}

// statError classifies an error opening or statting a blob file: absent
// (also when a path element is not a directory) is NotFound.
func statError(op string, c cid.CID, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return rhizome.Errorf(op, rhizome.NotFound, "blob %s not found", c)
	}
	return rhizome.Errorf(op, rhizome.Other, "open blob %s: %w", c, err)
}
