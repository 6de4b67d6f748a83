package backup

import (
	"testing"

	"github.com/rhizome-pds/rhizome/blobstore/s3/s3test"
)

func TestS3_Put(t *testing.T) {
	srv := s3test.Start(t)
	tgt, err := OpenS3(ctx, srv.NewBucket(t)+"&prefix=backups/alice/")
	must(t, err)
	checkTarget(t, tgt)
}
