package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore/s3/s3test"
	"github.com/rhizome-pds/rhizome/cid"
)

func TestOpen_Bucket(t *testing.T) {
	srv := s3test.Start(t)
	t.Run("missing", func(t *testing.T) {
		_, err := Open(t.Context(), srv.URL("rhizome-absent"))
		if !rhizome.Is(err, rhizome.NotFound) || !strings.Contains(err.Error(), "create=true") {
			t.Fatalf("Open of a missing bucket: err = %v, want NotFound suggesting create=true", err)
		}
	})
	t.Run("created when asked", func(t *testing.T) {
		url := srv.URL("rhizome-created") + "&create=true"
		s := openStore(t, url)
		c := mustPut(t, s, mustDID(t, "did:web:example.com"), []byte("x"))
		if _, err := openStore(t, url).Stat(t.Context(), mustDID(t, "did:web:example.com"), c); err != nil {
			t.Fatalf("Stat through a second Open: %v", err)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
		_, err := Open(t.Context(), srv.NewBucket(t))
		if err == nil || rhizome.Is(err, rhizome.NotFound) {
			t.Fatalf("Open with a wrong secret: err = %v", err)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		if _, err := Open(t.Context(), srv.NewBucket(t)); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("Open without credentials: err = %v, want Invalid", err)
		}
	})
}

func TestOpen_Unreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	t.Setenv("AWS_ACCESS_KEY_ID", "id")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	start := time.Now()
	_, err = Open(t.Context(), "s3://blobs?endpoint=http://"+addr+"&region=us-east-1")
	if !rhizome.Is(err, rhizome.Unavailable) {
		t.Fatalf("Open of a closed port: err = %v, want Unavailable", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Open of a closed port took %v", d)
	}
}

func TestOpen_Sweeps(t *testing.T) {
	srv := s3test.Start(t)
	url := srv.NewBucket(t) + "&prefix=p"
	s := openStore(t, url)
	did := mustDID(t, "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
	c := mustPut(t, s, did, []byte("kept"))
	crashedPut(t, s)
	s = openStore(t, url)
	t.Run("keeps recent leftovers", func(t *testing.T) {
		if keys := listKeys(t, t.Context(), s, tmpDir); len(keys) != 1 || countUploads(t, s, "") != 1 {
			t.Fatalf("after Open: temporary keys %q, %d uploads; want 1 and 1", keys, countUploads(t, s, ""))
		}
	})
	t.Run("removes stale ones", func(t *testing.T) {
		if err := s.sweep(t.Context(), time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("sweep: %v", err)
		}
		if keys := listKeys(t, t.Context(), s, tmpDir); len(keys) != 0 || countUploads(t, s, "") != 0 {
			t.Fatalf("after sweep: temporary keys %q, %d uploads; want none", keys, countUploads(t, s, ""))
		}
	})
	t.Run("keeps blobs", func(t *testing.T) {
		if n, err := s.Stat(t.Context(), did, c); err != nil || n != 4 {
			t.Fatalf("Stat after sweep = %d, %v", n, err)
		}
	})
}

// crashedPut leaves what a Put killed at each stage leaves: a temporary
// object not yet copied into place and an unfinished multipart upload.
func crashedPut(t *testing.T, s *BlobStore) {
	t.Helper()
	ctx := t.Context()
	data := []byte("partial")
	if _, err := s.c.PutObject(ctx, s.bucket, s.tempKey(), bytes.NewReader(data), int64(len(data)), "", "", minio.PutObjectOptions{}); err != nil {
		t.Fatalf("put temporary object: %v", err)
	}
	tmp := s.tempKey()
	id, err := s.c.NewMultipartUpload(ctx, s.bucket, tmp, minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("start upload: %v", err)
	}
	if _, err := s.c.PutObjectPart(ctx, s.bucket, tmp, id, 1, bytes.NewReader(data), int64(len(data)), minio.PutObjectPartOptions{}); err != nil {
		t.Fatalf("upload part: %v", err)
	}
}

// TestPut_ServiceChecksHash: the SHA-256 each PUT of a blob or part
// carries is checked by the service, so bytes changed on the way are
// refused, not stored.
func TestPut_ServiceChecksHash(t *testing.T) {
	s := openStore(t, s3test.URL(t))
	data := []byte("the bytes we hashed")
	wrong := sha256.Sum256([]byte("other bytes"))
	t.Run("single put", func(t *testing.T) {
		key := blobKey("did_3aweb_3aexample.com/", cid.Sum(cid.Raw, data))
		err := s.putSingle(t.Context(), "test", key, data, wrong[:])
		if err == nil {
			t.Fatal("PUT with a SHA-256 that does not match the body succeeded")
		}
		t.Logf("refused: %v", err)
		if _, err := s.stat(t.Context(), "test", key, cid.Sum(cid.Raw, data)); !rhizome.Is(err, rhizome.NotFound) {
			t.Fatalf("after the refused PUT: stat err = %v, want NotFound", err)
		}
	})
	t.Run("part", func(t *testing.T) {
		tmp := s.tempKey()
		id, err := s.c.NewMultipartUpload(t.Context(), s.bucket, tmp, minio.PutObjectOptions{})
		if err != nil {
			t.Fatalf("start upload: %v", err)
		}
		defer s.abort(t.Context(), tmp, id)
		opts := minio.PutObjectPartOptions{Sha256Hex: hex.EncodeToString(wrong[:]), DisableContentSha256: true}
		_, err = s.c.PutObjectPart(t.Context(), s.bucket, tmp, id, 1, bytes.NewReader(data), int64(len(data)), opts)
		if err == nil {
			t.Fatal("part with a SHA-256 that does not match the body accepted")
		}
		t.Logf("refused: %v", err)
	})
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want rhizome.Kind
	}{
		{minio.ErrorResponse{Code: minio.NoSuchKey, StatusCode: 404}, rhizome.NotFound},
		{fmt.Errorf("wrapped: %w", minio.ErrorResponse{Code: minio.NoSuchKey}), rhizome.NotFound},
		{minio.ErrorResponse{Code: minio.InvalidRange, StatusCode: 416}, rhizome.Invalid},
		{minio.ErrorResponse{Code: "SlowDown", StatusCode: 503}, rhizome.Unavailable},
		{minio.ErrorResponse{Code: "InternalError", StatusCode: 500}, rhizome.Unavailable},
		{minio.ErrorResponse{Code: minio.NoSuchBucket, StatusCode: 404}, rhizome.Other},
		{minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403}, rhizome.Other},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, rhizome.Unavailable},
		{fmt.Errorf("get: %w", context.Canceled), rhizome.Other},
		{errors.New("something else"), rhizome.Other},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			if got := Kind(tc.err); got != tc.want {
				t.Fatalf("Kind(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
