package custody

import (
	"context"
	"sync"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// missingPage is how many missing blobs are asked for at once.
const missingPage = 500

// blobs copies what the new pod lists as missing (listMissingBlobs) from
// the old pod, in.Parallel at a time, each checked against its CID on
// download and on upload. A blob copied by an earlier run is not missing,
// so a second run copies only the rest.
func (m *migration) blobs(ctx context.Context) (string, string, error) {
	if !m.exists {
		return would("copy the %d blobs", m.res.Blobs)
	}
	before := m.res.BlobsCopied
	for {
		page, err := m.in.To.MissingBlobs(ctx, m.cur.AccessJWT, missingPage)
		if err != nil {
			return "", "", err
		}
		if len(page) == 0 {
			break
		}
		if m.in.DryRun {
			more := ""
			if len(page) == missingPage {
				more = " or more"
			}
			return would("copy %d%s blobs the new pod lacks (of %d)", len(page), more, m.res.Blobs)
		}
		n, err := m.copyBlobs(ctx, page)
		if err != nil {
			return "", "", err
		}
		if n == 0 {
			return "", "", rhizome.Errorf(opStep, rhizome.Conflict, "the new pod still lists %d blobs as missing after they were uploaded", len(page))
		}
	}
	copied := m.res.BlobsCopied - before
	if copied == 0 {
		return already("the new pod lacks none of the %d blobs", m.res.Blobs)
	}
	return done("copied %d blobs (%d bytes), each verified; %d were there already", copied, m.res.BlobBytes, m.res.Blobs-copied)
}

// copyBlobs copies cids in parallel and returns how many it copied; the
// first error stops the rest.
func (m *migration) copyBlobs(ctx context.Context, cids []cid.CID) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan cid.CID)
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		n  int
	)
	for range m.in.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				size, err := m.copyBlob(ctx, c)
				if err != nil {
					cancel(err)
					return
				}
				mu.Lock()
				n++
				m.res.BlobsCopied++
				m.res.BlobBytes += size
				mu.Unlock()
				m.in.Observer.blob(size)
			}
		}()
	}
feed:
	for _, c := range cids {
		select {
		case work <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
		return n, err
	}
	return n, nil
}

func (m *migration) copyBlob(ctx context.Context, c cid.CID) (int64, error) {
	data, mimeType, err := m.in.From.GetBlob(ctx, m.did, c)
	if err != nil {
		return 0, rhizome.Errorf(opStep, rhizome.KindOf(err), "blob %s from the old pod: %w", c, err)
	}
	if err := m.in.To.UploadBlob(ctx, m.cur.AccessJWT, mimeType, c, data); err != nil {
		return 0, rhizome.Errorf(opStep, rhizome.KindOf(err), "blob %s to the new pod: %w", c, err)
	}
	return int64(len(data)), nil
}
