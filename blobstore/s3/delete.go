package s3

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/minio/minio-go/v7"

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
	key, err := s.locate(op, did, c)
	if rhizome.Is(err, rhizome.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	err = s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && errCode(err) != minio.NoSuchKey {
		return classify(ctx, op, "delete blob "+c.String(), err)
	}
	return nil
}

// DeleteAll removes every blob of did: it lists the account's keys and
// deletes them in batches. S3 has no rename, so unlike blobstore/disk the
// blobs do not vanish in one step; a DeleteAll that fails part way leaves
// some, and running it again removes them.
func (s *BlobStore) DeleteAll(ctx context.Context, did syntax.DID) error {
	const op = "blobstore delete all"
	acct, err := s.accountPrefix(op, did)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return rhizome.Errorf(op, rhizome.Other, "delete blobs: %w", err)
	}
	if err := s.removeListed(ctx, acct, all); err != nil {
		return classify(ctx, op, "delete blobs of "+string(did), err)
	}
	return nil
}

func all(minio.ObjectInfo) bool { return true }

// removeListed removes the objects under prefix that keep selects. It
// returns the first failure of the listing or of a removal.
func (s *BlobStore) removeListed(ctx context.Context, prefix string, keep func(minio.ObjectInfo) bool) error {
	var listErr error
	listed := func(yield func(minio.ObjectInfo) bool) {
		opts := minio.ListObjectsOptions{Prefix: prefix, Recursive: true}
		for o := range s.c.ListObjectsIter(ctx, s.bucket, opts) {
			if o.Err != nil {
				listErr = fmt.Errorf("list %s: %w", prefix, o.Err)
				return
			}
			if keep(o) && !yield(o) {
				return
			}
		}
	}
	results, err := s.c.RemoveObjectsWithIter(ctx, s.bucket, iter.Seq[minio.ObjectInfo](listed), minio.RemoveObjectsOptions{})
	if err != nil {
		return err
	}
	var rmErr error
	for r := range results {
		if r.Err != nil && rmErr == nil && errCode(r.Err) != minio.NoSuchKey {
			rmErr = fmt.Errorf("remove %s: %w", r.ObjectName, r.Err)
		}
	}
	return errors.Join(listErr, rmErr)
}

// sweep removes what crashed Puts left: temporary objects and unfinished
// multipart uploads under the temporary prefix, older than cutoff. A
// younger one may belong to a Put still running, here or on another node.
func (s *BlobStore) sweep(ctx context.Context, cutoff time.Time) error {
	const op = "blobstore s3 open"
	tmp := s.prefix + tmpDir
	old := func(o minio.ObjectInfo) bool { return o.LastModified.Before(cutoff) }
	if err := s.removeListed(ctx, tmp, old); err != nil {
		return classify(ctx, op, "remove stale temporary objects", err)
	}
	if err := s.abortUploads(ctx, tmp, cutoff); err != nil {
		return classify(ctx, op, "abort stale uploads", err)
	}
	return nil
}

// abortUploads aborts the multipart uploads under prefix started before
// cutoff.
func (s *BlobStore) abortUploads(ctx context.Context, prefix string, cutoff time.Time) error {
	var keyMarker, idMarker string
	for {
		res, err := s.c.ListMultipartUploads(ctx, s.bucket, prefix, keyMarker, idMarker, "", 1000)
		if err != nil {
			return fmt.Errorf("list uploads: %w", err)
		}
		for _, u := range res.Uploads {
			if !u.Initiated.Before(cutoff) {
				continue
			}
			err := s.c.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID)
			if err != nil && errCode(err) != minio.NoSuchUpload {
				return fmt.Errorf("abort upload of %s: %w", u.Key, err)
			}
		}
		if !res.IsTruncated {
			return nil
		}
		if res.NextKeyMarker == keyMarker && res.NextUploadIDMarker == idMarker {
			return errors.New("list uploads: truncated listing without a next marker")
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}
