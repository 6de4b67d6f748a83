package backup

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore/s3"
)

// S3 is a Target in a bucket of an S3-compatible service, under an
// optional key prefix. One PUT of a whole object is atomic in S3, so Put
// needs no temporary object.
type S3 struct {
	c              *minio.Client
	bucket, prefix string
}

// maxObject bounds what Get reads: a pack is a few MiB, a blob at most
// what a pod serves.
const maxObject = 2 << 30

// OpenS3 opens the bucket a URL names, in the blob store's form
// (s3://bucket?endpoint=host:port&region=…[&prefix=p/][&create=true]),
// with credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
func OpenS3(ctx context.Context, rawURL string) (*S3, error) {
	const op = "open s3 target"
	cfg, err := s3.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	creds, err := s3.CredentialsFromEnv()
	if err != nil {
		return nil, err
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		Secure: cfg.Secure, Region: cfg.Region, BucketLookup: minio.BucketLookupPath, MaxRetries: 3,
	})
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "s3 client for %s: %w", cfg.Endpoint, err)
	}
	t := &S3{c: c, bucket: cfg.Bucket, prefix: cfg.Prefix}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	switch {
	case err != nil:
		return nil, s3Error(op, "bucket "+cfg.Bucket, err)
	case !ok && !cfg.Create:
		return nil, rhizome.Errorf(op, rhizome.NotFound, "bucket %s does not exist (add create=true to make it)", cfg.Bucket)
	case !ok:
		if err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			return nil, s3Error(op, "create bucket "+cfg.Bucket, err)
		}
	}
	return t, nil
}

func (t *S3) String() string { return "s3://" + t.bucket + "/" + t.prefix }

func (t *S3) key(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	return t.prefix + name, nil
}

// Put uploads the whole object in one request.
func (t *S3) Put(ctx context.Context, name string, data []byte) error {
	k, err := t.key(name)
	if err != nil {
		return err
	}
	_, err = t.c.PutObject(ctx, t.bucket, k, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true})
	if err != nil {
		return s3Error(opTarget, "write "+name, err)
	}
	return nil
}

// Get downloads a whole object.
func (t *S3) Get(ctx context.Context, name string) ([]byte, error) {
	k, err := t.key(name)
	if err != nil {
		return nil, err
	}
	o, err := t.c.GetObject(ctx, t.bucket, k, minio.GetObjectOptions{})
	if err != nil {
		return nil, s3Error(opTarget, "read "+name, err)
	}
	defer o.Close()
	b, err := io.ReadAll(io.LimitReader(o, maxObject+1))
	if err != nil {
		if s3.Kind(err) == rhizome.NotFound {
			return nil, rhizome.Errorf(opTarget, rhizome.NotFound, "%s is missing from the archive", name)
		}
		return nil, s3Error(opTarget, "read "+name, err)
	}
	if len(b) > maxObject {
		return nil, rhizome.Errorf(opTarget, rhizome.TooLarge, "%s is larger than %d bytes", name, maxObject)
	}
	return b, nil
}

// Has asks for the object's metadata.
func (t *S3) Has(ctx context.Context, name string) (bool, error) {
	k, err := t.key(name)
	if err != nil {
		return false, err
	}
	_, err = t.c.StatObject(ctx, t.bucket, k, minio.StatObjectOptions{})
	switch {
	case err == nil:
		return true, nil
	case s3.Kind(err) == rhizome.NotFound:
		return false, nil
	}
	return false, s3Error(opTarget, "stat "+name, err)
}

// Delete removes an object; S3 answers a missing key with success.
func (t *S3) Delete(ctx context.Context, name string) error {
	k, err := t.key(name)
	if err != nil {
		return err
	}
	if err := t.c.RemoveObject(ctx, t.bucket, k, minio.RemoveObjectOptions{}); err != nil {
		return s3Error(opTarget, "delete "+name, err)
	}
	return nil
}

// List lists the keys under the prefix.
func (t *S3) List(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	for o := range t.c.ListObjects(ctx, t.bucket, minio.ListObjectsOptions{Prefix: t.prefix + prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, s3Error(opTarget, "list "+prefix, o.Err)
		}
		out = append(out, strings.TrimPrefix(o.Key, t.prefix))
	}
	slices.Sort(out)
	return out, nil
}

func s3Error(op, what string, err error) error {
	k := s3.Kind(err)
	if k == rhizome.NotFound {
		return rhizome.Errorf(op, k, "%s is missing from the archive", strings.TrimPrefix(strings.TrimPrefix(what, "read "), "write "))
	}
	return rhizome.Errorf(op, k, "%s: %w", what, err)
}
