package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

const (
	// PartSize is the size of the parts of a multipart upload, and so the
	// most a Put holds in memory. A blob that fits in one part is sent in
	// one request straight to its key.
	PartSize = 8 << 20
	// maxParts is the S3 limit on the parts of one multipart upload.
	maxParts = 10000
	// copyLimit is the largest object one CopyObject request may copy on
	// AWS S3; larger ones are copied in parts.
	copyLimit = 5 << 30
	// tmpDir holds the objects of Puts in progress, under the prefix.
	tmpDir    = "tmp/"
	tmpPrefix = "put-"
	// staleAfter is how long a temporary object or unfinished upload must
	// be old before Open removes it.
	staleAfter = time.Hour
	// cleanupTimeout bounds the requests that clean up after a failed or
	// finished Put, which run even when the Put's context has ended.
	cleanupTimeout = 30 * time.Second
	// fanAt is where the CID string's digest characters start ("b" and the
	// header take the first 7 characters and 2 bits of the 8th).
	fanAt = 8
	// maxRetries is how often the client tries a request that failed on
	// the network or with a retryable status, as AWS SDKs do by default
	// (minio-go's default of 10 would hold a request up for seconds when
	// the service is down).
	maxRetries = 3
	// contentType is what the store labels every object with: the MIME
	// type of a blob lives in the record store.
	contentType = "application/octet-stream"
)

// BlobStore is a blobstore.Store in a bucket of an S3-compatible service.
// It is safe for concurrent use, also by several processes sharing the
// bucket.
type BlobStore struct {
	c      *minio.Core
	bucket string
	prefix string
	// partSize and copyLimit are PartSize and copyLimit, lowered by tests
	// to exercise multipart uploads and copies with small blobs.
	partSize  int
	copyLimit int64
	// parts holds part buffers (*[]byte of capacity partSize) for reuse.
	parts sync.Pool
}

var _ blobstore.Store = (*BlobStore)(nil)

// Open opens the blob store a URL names (see ParseURL), with credentials
// from the environment (see CredentialsFromEnv).
func Open(ctx context.Context, rawURL string) (*BlobStore, error) {
	cfg, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	creds, err := CredentialsFromEnv()
	if err != nil {
		return nil, err
	}
	return New(ctx, cfg, creds)
}

// New opens the blob store cfg describes: it checks that the bucket exists
// (creating it if cfg.Create) and removes what Puts that crashed over an
// hour ago left behind.
func New(ctx context.Context, cfg Config, creds Credentials) (*BlobStore, error) {
	const op = "blobstore s3 open"
	core, err := minio.NewCore(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		Secure:       cfg.Secure,
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   maxRetries,
	})
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "create s3 client for %s: %w", cfg.Endpoint, err)
	}
	s := &BlobStore{c: core, bucket: cfg.Bucket, prefix: cfg.Prefix, partSize: PartSize, copyLimit: copyLimit}
	if err := s.ensureBucket(ctx, op, cfg); err != nil {
		return nil, err
	}
	if err := s.sweep(ctx, time.Now().Add(-staleAfter)); err != nil {
		return nil, err
	}
	return s, nil
}

// ensureBucket checks that the bucket exists, and creates it if it does
// not and cfg.Create is set.
func (s *BlobStore) ensureBucket(ctx context.Context, op string, cfg Config) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return classify(ctx, op, fmt.Sprintf("check bucket %s at %s", s.bucket, cfg.Endpoint), err)
	}
	if ok {
		return nil
	}
	if !cfg.Create {
		return rhizome.Errorf(op, rhizome.NotFound,
			"bucket %s does not exist at %s: create it, or add create=true to the url", s.bucket, cfg.Endpoint)
	}
	err = s.c.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: cfg.Region})
	if err != nil && errCode(err) != minio.BucketAlreadyOwnedByYou {
		return classify(ctx, op, "create bucket "+s.bucket, err)
	}
	return nil
}

// accountPrefix returns the key prefix of did's blobs; Invalid if did does
// not parse, so an unchecked value cannot reach a key.
func (s *BlobStore) accountPrefix(op string, did syntax.DID) (string, error) {
	if _, err := syntax.ParseDID(string(did)); err != nil {
		return "", rhizome.Errorf(op, rhizome.Invalid, "check did: %w", err)
	}
	return s.prefix + blobstore.AccountSegment(did) + "/", nil
}

// locate returns the key of blob c of did. Invalid for a bad DID or the
// undefined CID; NotFound for a CID that is not raw, since no such blob is
// ever stored.
func (s *BlobStore) locate(op string, did syntax.DID, c cid.CID) (string, error) {
	acct, err := s.accountPrefix(op, did)
	if err != nil {
		return "", err
	}
	if !c.Defined() {
		return "", rhizome.E(op, rhizome.Invalid, "undefined CID")
	}
	if c.Codec() != cid.Raw {
		return "", rhizome.Errorf(op, rhizome.NotFound, "blob %s: not a raw CID", c)
	}
	return blobKey(acct, c), nil
}

// blobKey returns the key of blob c under the account prefix acct.
func blobKey(acct string, c cid.CID) string {
	name := c.String()
	return acct + name[fanAt:fanAt+2] + "/" + name
}

// tempKey returns a fresh key for a Put in progress.
func (s *BlobStore) tempKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return s.prefix + tmpDir + tmpPrefix + hex.EncodeToString(b[:])
}

// classify wraps err, from a request for what, as an error of op. If ctx
// has ended the error wraps ctx's error too, whatever the client made of
// the cancelled request.
func classify(ctx context.Context, op, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w (%w)", cerr, err)
	}
	return rhizome.Errorf(op, Kind(err), "%s: %w", what, err)
}

// Kind maps an error of the S3 client (minio-go) to a kind: an absent key is
// NotFound, an unsatisfiable range Invalid, throttling, server errors and
// network failures Unavailable. A missing bucket or refused credentials
// are the operator's to fix, so Other.
func Kind(err error) rhizome.Kind {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return rhizome.Other
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		switch {
		case resp.Code == minio.NoSuchKey:
			return rhizome.NotFound
		case resp.Code == minio.InvalidRange:
			return rhizome.Invalid
		case resp.Code == "SlowDown" || resp.StatusCode >= 500:
			return rhizome.Unavailable
		}
		return rhizome.Other
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return rhizome.Unavailable
	}
	return rhizome.Other
}

// errCode returns the S3 error code of err, or "".
func errCode(err error) string {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.Code
	}
	return ""
}

// cleanupContext returns a context for cleaning up after a Put: not
// cancelled with ctx, but bounded.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}
