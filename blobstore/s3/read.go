package s3

import (
	"context"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Get opens blob c of did and returns a reader of at most n bytes from off
// (n < 0: to the end) and the blob's size, in one ranged GET whose body
// streams to the caller. NotFound if absent; an offset below zero or
// beyond the end is Invalid.
func (s *BlobStore) Get(ctx context.Context, did syntax.DID, c cid.CID, off, n int64) (io.ReadCloser, int64, error) {
	const op = "blobstore get"
	if err := ctx.Err(); err != nil {
		return nil, 0, rhizome.Errorf(op, rhizome.Other, "get blob: %w", err)
	}
	key, err := s.locate(op, did, c)
	if err != nil {
		return nil, 0, err
	}
	if off < 0 {
		return nil, 0, rhizome.Errorf(op, rhizome.Invalid, "negative offset %d", off)
	}
	if n == 0 {
		return s.emptyAt(ctx, op, key, c, off)
	}
	opts, ranged := rangeOptions(off, n)
	body, info, hdr, err := s.c.GetObject(ctx, s.bucket, key, opts)
	if errCode(err) == minio.InvalidRange { // off is at or past the end
		return s.emptyAt(ctx, op, key, c, off)
	}
	if err != nil {
		return nil, 0, classify(ctx, op, "get blob "+c.String(), err)
	}
	return section(body, hdr, info.Size, ranged, off, n)
}

// rangeOptions returns the GET options for n bytes (n != 0) from off, and
// whether they ask for a range.
func rangeOptions(off, n int64) (minio.GetObjectOptions, bool) {
	var opts minio.GetObjectOptions
	if off == 0 && n < 0 {
		return opts, false
	}
	end := int64(0) // SetRange(off, 0) reads from off to the end
	if n > 0 && n <= math.MaxInt64-off {
		end = off + n - 1
	}
	_ = opts.SetRange(off, end) // 0 <= off, and end is 0 or >= off: always valid
	return opts, true
}

// section returns the reader and the blob size of a GET's response. With a
// Content-Range the total is its last field; a service that ignored the
// range sent the whole blob, which is cut down to the range here.
func section(body io.ReadCloser, hdr http.Header, length int64, ranged bool, off, n int64) (io.ReadCloser, int64, error) {
	const op = "blobstore get"
	cr := hdr.Get("Content-Range")
	if !ranged || cr == "" {
		return cut(body, length, off, n)
	}
	size, ok := totalOf(cr)
	if !ok {
		body.Close()
		return nil, 0, rhizome.Errorf(op, rhizome.Other, "get blob: bad Content-Range %q", cr)
	}
	return body, size, nil
}

// totalOf returns the total size in a Content-Range ("bytes 0-9/1000").
func totalOf(cr string) (int64, bool) {
	i := strings.LastIndexByte(cr, '/')
	if i < 0 {
		return 0, false
	}
	size, err := strconv.ParseInt(cr[i+1:], 10, 64)
	return size, err == nil && size >= 0
}

// cut returns a reader of n bytes (n < 0: all) from off of a whole blob
// of size bytes read from body.
func cut(body io.ReadCloser, size, off, n int64) (io.ReadCloser, int64, error) {
	if off > size {
		body.Close()
		return nil, 0, rhizome.Errorf("blobstore get", rhizome.Invalid, "offset %d beyond blob of %d bytes", off, size)
	}
	if off == 0 && (n < 0 || n >= size) {
		return body, size, nil
	}
	if _, err := io.CopyN(io.Discard, body, off); err != nil {
		body.Close()
		return nil, 0, rhizome.Errorf("blobstore get", rhizome.Other, "skip to offset %d: %w", off, err)
	}
	if n < 0 || n > size-off {
		n = size - off
	}
	return readCloser{io.LimitReader(body, n), body}, size, nil
}

// readCloser reads from one reader and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}

// emptyAt returns an empty reader at off of the blob under key, after
// checking that off is within the blob: Invalid beyond its end.
func (s *BlobStore) emptyAt(ctx context.Context, op, key string, c cid.CID, off int64) (io.ReadCloser, int64, error) {
	size, err := s.stat(ctx, op, key, c)
	if err != nil {
		return nil, 0, err
	}
	if off > size {
		return nil, 0, rhizome.Errorf(op, rhizome.Invalid, "offset %d beyond blob %s of %d bytes", off, c, size)
	}
	return io.NopCloser(strings.NewReader("")), size, nil
}

// Stat returns the size of blob c of did; NotFound if absent.
func (s *BlobStore) Stat(ctx context.Context, did syntax.DID, c cid.CID) (int64, error) {
	const op = "blobstore stat"
	if err := ctx.Err(); err != nil {
		return 0, rhizome.Errorf(op, rhizome.Other, "stat blob: %w", err)
	}
	key, err := s.locate(op, did, c)
	if err != nil {
		return 0, err
	}
	return s.stat(ctx, op, key, c)
}

// stat returns the size of the object under key, blob c.
func (s *BlobStore) stat(ctx context.Context, op, key string, c cid.CID) (int64, error) {
	info, err := s.c.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return 0, classify(ctx, op, "stat blob "+c.String(), err)
	}
	return info.Size, nil
}
