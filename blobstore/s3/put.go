package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"math"
	"slices"

	"github.com/minio/minio-go/v7"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// A Put's buffer starts at firstBuf bytes and doubles as bytes arrive up
// to maxDoubled, so small blobs take little memory; past that it becomes a
// whole part from the store's pool.
const (
	firstBuf   = 32 << 10
	maxDoubled = 256 << 10
)

// Put streams r into blob of did and returns its CID and size. It reads
// at most max+1 bytes and holds at most one part in memory. A blob that
// fits in one part goes in one PUT to its key; a larger one is uploaded in
// parts to a temporary key and then copied into place (see doc.go).
func (s *BlobStore) Put(ctx context.Context, did syntax.DID, r io.Reader, max int64) (cid.CID, int64, error) {
	const op = "blobstore put"
	acct, err := s.accountPrefix(op, did)
	if err != nil {
		return cid.CID{}, 0, err
	}
	if max < 0 {
		return cid.CID{}, 0, rhizome.Errorf(op, rhizome.Invalid, "negative size limit %d", max)
	}
	if err := ctx.Err(); err != nil {
		return cid.CID{}, 0, rhizome.Errorf(op, rhizome.Other, "put blob: %w", err)
	}
	src := newSource(ctx, op, r, max)
	buf, err := s.fill(src, make([]byte, 0, firstBuf))
	defer s.release(buf)
	if err != nil {
		return cid.CID{}, 0, err
	}
	if src.eof {
		c := src.cid()
		return c, src.n, s.putSingle(ctx, op, blobKey(acct, c), buf, src.h.Sum(nil))
	}
	return s.putParts(ctx, op, acct, src, buf)
}

// putSingle stores buf under key in one request. The request carries the
// SHA-256 of buf, which the service checks against what it receives.
func (s *BlobStore) putSingle(ctx context.Context, op, key string, buf, sum []byte) error {
	opts := minio.PutObjectOptions{ContentType: contentType, DisableContentSha256: true}
	_, err := s.c.PutObject(ctx, s.bucket, key, bytes.NewReader(buf), int64(len(buf)), "", hex.EncodeToString(sum), opts)
	if err != nil {
		return classify(ctx, op, "store blob", err)
	}
	return nil
}

// putParts uploads the rest of src, after buf, in parts to a temporary key
// and copies the finished object to the blob's key.
func (s *BlobStore) putParts(ctx context.Context, op, acct string, src *source, buf []byte) (cid.CID, int64, error) {
	tmp := s.tempKey()
	if err := s.upload(ctx, op, tmp, src, buf); err != nil {
		return cid.CID{}, 0, err
	}
	defer s.removeTemp(ctx, tmp)
	c := src.cid()
	if err := s.promote(ctx, op, tmp, blobKey(acct, c), src.n); err != nil {
		return cid.CID{}, 0, err
	}
	return c, src.n, nil
}

// upload stores src as the object tmp through a multipart upload, buf
// being its first part. On failure it aborts the upload.
func (s *BlobStore) upload(ctx context.Context, op, tmp string, src *source, buf []byte) error {
	id, err := s.c.NewMultipartUpload(ctx, s.bucket, tmp, minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return classify(ctx, op, "start upload", err)
	}
	parts, err := s.uploadParts(ctx, op, tmp, id, src, buf)
	if err == nil {
		_, err = s.c.CompleteMultipartUpload(ctx, s.bucket, tmp, id, parts, minio.PutObjectOptions{})
		if err != nil {
			err = classify(ctx, op, "complete upload", err)
		}
	}
	if err != nil {
		s.abort(ctx, tmp, id)
	}
	return err
}

// uploadParts sends buf as part 1, then refills it from src and sends it
// as the next part until src ends.
func (s *BlobStore) uploadParts(ctx context.Context, op, tmp, id string, src *source, buf []byte) ([]minio.CompletePart, error) {
	var parts []minio.CompletePart
	for num := 1; ; num++ {
		if num > maxParts {
			return nil, rhizome.Errorf(op, rhizome.TooLarge, "blob exceeds %d parts of %d bytes", maxParts, s.partSize)
		}
		sum := sha256.Sum256(buf)
		opts := minio.PutObjectPartOptions{Sha256Hex: hex.EncodeToString(sum[:]), DisableContentSha256: true}
		p, err := s.c.PutObjectPart(ctx, s.bucket, tmp, id, num, bytes.NewReader(buf), int64(len(buf)), opts)
		if err != nil {
			return nil, classify(ctx, op, "upload part", err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: num, ETag: p.ETag})
		if src.eof {
			return parts, nil
		}
		if buf, err = s.fill(src, buf[:0]); err != nil {
			return nil, err
		}
		if len(buf) == 0 { // src ended right after a full part
			return parts, nil
		}
	}
}

// fill appends to buf from src until it holds a part or src ends, growing
// it as needed, and returns it.
func (s *BlobStore) fill(src *source, buf []byte) ([]byte, error) {
	for len(buf) < s.partSize && !src.eof {
		if len(buf) == cap(buf) {
			buf = s.grow(buf)
		}
		k, err := src.read(buf[len(buf):min(cap(buf), s.partSize)])
		buf = buf[:len(buf)+k]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// grow returns buf with more room and the same contents: twice the
// capacity while small, else a whole part from the pool.
func (s *BlobStore) grow(buf []byte) []byte {
	if c := 2 * cap(buf); c <= maxDoubled && c < s.partSize {
		return slices.Grow(buf, c-len(buf))
	}
	part, _ := s.parts.Get().(*[]byte)
	if part == nil {
		b := make([]byte, 0, s.partSize)
		part = &b
	}
	return append((*part)[:0], buf...)
}

// release returns a whole-part buffer to the pool.
func (s *BlobStore) release(buf []byte) {
	if cap(buf) == s.partSize {
		buf = buf[:0]
		s.parts.Put(&buf)
	}
}

// promote copies the finished temporary object tmp of n bytes to key,
// unless key holds n bytes already: keys are content addresses, so those
// are the same bytes. The copy is server-side and atomic.
func (s *BlobStore) promote(ctx context.Context, op, tmp, key string, n int64) error {
	if info, err := s.c.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{}); err == nil && info.Size == n {
		return nil
	}
	var err error
	if n <= s.copyLimit {
		src := minio.CopySrcOptions{Bucket: s.bucket, Object: tmp}
		_, err = s.c.CopyObject(ctx, s.bucket, tmp, s.bucket, key, nil, src, minio.PutObjectOptions{})
	} else {
		dst := minio.CopyDestOptions{Bucket: s.bucket, Object: key, PartSize: uint64(s.copyLimit)}
		_, err = s.c.ComposeObject(ctx, dst, minio.CopySrcOptions{Bucket: s.bucket, Object: tmp})
	}
	if err != nil {
		return classify(ctx, op, "copy blob into place", err)
	}
	return nil
}

// abort abandons a multipart upload. A failure leaves the parts for the
// sweep in Open.
func (s *BlobStore) abort(ctx context.Context, tmp, id string) {
	ctx, cancel := cleanupContext(ctx)
	defer cancel()
	_ = s.c.AbortMultipartUpload(ctx, s.bucket, tmp, id)
}

// removeTemp removes a temporary object. A failure leaves it for the sweep
// in Open.
func (s *BlobStore) removeTemp(ctx context.Context, tmp string) {
	ctx, cancel := cleanupContext(ctx)
	defer cancel()
	_ = s.c.RemoveObject(ctx, s.bucket, tmp, minio.RemoveObjectOptions{})
}

// source is the body of a Put: it checks the context before each read,
// hashes what it reads, and fails with TooLarge as soon as more than max
// bytes arrive, having asked r for at most max+1.
type source struct {
	ctx context.Context
	op  string
	r   io.LimitedReader
	max int64
	h   hash.Hash
	n   int64
	eof bool
}

func newSource(ctx context.Context, op string, r io.Reader, max int64) *source {
	limit := max
	if max < math.MaxInt64 {
		limit = max + 1
	}
	return &source{ctx: ctx, op: op, r: io.LimitedReader{R: r, N: limit}, max: max, h: sha256.New()}
}

// cid returns the CID of the bytes read so far.
func (s *source) cid() cid.CID { return cid.FromDigest(cid.Raw, [32]byte(s.h.Sum(nil))) }

// read does one read of the body into p.
func (s *source) read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, rhizome.Errorf(s.op, rhizome.Other, "read blob: %w", err)
	}
	k, err := s.r.Read(p)
	s.h.Write(p[:k])
	s.n += int64(k)
	switch {
	case s.n > s.max:
		return k, rhizome.Errorf(s.op, rhizome.TooLarge, "blob exceeds %d bytes", s.max)
	case err == io.EOF:
		s.eof = true
	case err != nil:
		return k, rhizome.Errorf(s.op, rhizome.Other, "read blob: %w", err)
	}
	return k, nil
}
