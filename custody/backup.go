package custody

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

// A backup folder holds:
//
//	repo.car      the repository (sync.getRepo), commit signature checked
//	blobs/CID     every blob (sync.listBlobs + sync.getBlob), hash checked
//	backup.json   the Manifest
const (
	BackupCAR      = "repo.car"
	BackupBlobs    = "blobs"
	BackupManifest = "backup.json"
)

// Manifest describes a backup.
type Manifest struct {
	DID     syntax.DID  `json:"did"`
	Pod     string      `json:"pod"`
	TakenAt time.Time   `json:"takenAt"`
	Commit  string      `json:"commit"` // the CAR's root
	Data    string      `json:"data"`   // its MST root, which a restore must reproduce
	Rev     string      `json:"rev"`
	Records int         `json:"records"`
	Blobs   []BlobEntry `json:"blobs"`
}

// BlobEntry is one saved blob.
type BlobEntry struct {
	CID      string `json:"cid"`
	MimeType string `json:"mimeType"`
	Size     int64  `json:"size"`
}

const opBackup = "back up account"

// Backup saves did's repository and blobs from pod into dir (created; it
// must not hold a backup already). The CAR must be signed by signingKey
// (the DID's current #atproto key) and every blob must hash to its CID.
func Backup(ctx context.Context, pod *Pod, did syntax.DID, signingKey keys.PublicKey, dir string) (*Manifest, error) {
	if err := os.MkdirAll(filepath.Join(dir, BackupBlobs), 0o700); err != nil {
		return nil, rhizome.E(opBackup, rhizome.Other, err)
	}
	if _, err := os.Stat(filepath.Join(dir, BackupManifest)); err == nil {
		return nil, rhizome.Errorf(opBackup, rhizome.Exists, "%s already holds a backup", dir)
	}
	car, err := pod.download(ctx, "com.atproto.sync.getRepo", url.Values{"did": {string(did)}})
	if err != nil {
		return nil, err
	}
	m, err := checkCAR(ctx, did, car.data, signingKey)
	if err != nil {
		return nil, err
	}
	m.Pod, m.TakenAt = pod.URL, time.Now().UTC()
	if err := os.WriteFile(filepath.Join(dir, BackupCAR), car.data, 0o600); err != nil {
		return nil, rhizome.E(opBackup, rhizome.Other, err)
	}
	if m.Blobs, err = saveBlobs(ctx, pod, did, dir); err != nil {
		return nil, err
	}
	return m, writeManifest(dir, m)
}

// checkCAR verifies a repository CAR (with key, if not nil) and describes
// it.
func checkCAR(ctx context.Context, did syntax.DID, b []byte, key keys.PublicKey) (*Manifest, error) {
	r, st, err := repo.ReadCAR(ctx, bytes.NewReader(b), mem.NewBlocks(), repo.ImportOptions{DID: did, Key: key})
	if err != nil {
		return nil, rhizome.Errorf("verify repository", rhizome.KindOf(err), "%w", err)
	}
	commit, root := r.Head()
	return &Manifest{DID: did, Commit: root.String(), Data: commit.Data.String(), Rev: string(commit.Rev), Records: st.Records}, nil
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return rhizome.E(opBackup, rhizome.Other, err)
	}
	if err := os.WriteFile(filepath.Join(dir, BackupManifest), append(b, '\n'), 0o600); err != nil {
		return rhizome.E(opBackup, rhizome.Other, err)
	}
	return nil
}

// ReadManifest reads a backup folder's manifest.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, BackupManifest))
	if err != nil {
		return nil, rhizome.Errorf("read backup", rhizome.NotFound, "%s is not a backup folder: %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, rhizome.Errorf("read backup", rhizome.Corrupt, "%s: %w", BackupManifest, err)
	}
	return &m, nil
}

// saveBlobs lists and downloads every blob of did.
func saveBlobs(ctx context.Context, pod *Pod, did syntax.DID, dir string) ([]BlobEntry, error) {
	cids, err := pod.listBlobs(ctx, did)
	if err != nil {
		return nil, err
	}
	out := []BlobEntry{}
	for _, c := range cids {
		e, err := saveBlob(ctx, pod, did, c, dir)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func saveBlob(ctx context.Context, pod *Pod, did syntax.DID, c cid.CID, dir string) (BlobEntry, error) {
	b, mimeType, err := pod.GetBlob(ctx, did, c)
	if err != nil {
		return BlobEntry{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, BackupBlobs, c.String()), b, 0o600); err != nil {
		return BlobEntry{}, rhizome.E(opBackup, rhizome.Other, err)
	}
	return BlobEntry{CID: c.String(), MimeType: mimeType, Size: int64(len(b))}, nil
}

// download is a fetched body with its media type.
type download struct {
	data     []byte
	mimeType string
}

func (p *Pod) download(ctx context.Context, nsid string, q url.Values) (download, error) {
	resp, err := p.call(ctx, http.MethodGet, nsid, q, "", "", nil)
	if err != nil {
		return download{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxDownload+1))
	if err != nil {
		return download{}, rhizome.Errorf(opPod, rhizome.Unavailable, "%s: %w", nsid, err)
	}
	if len(b) > MaxDownload {
		return download{}, rhizome.Errorf(opPod, rhizome.TooLarge, "%s: more than %d bytes", nsid, MaxDownload)
	}
	return download{data: b, mimeType: resp.Header.Get("Content-Type")}, nil
}

// listBlobs pages through sync.listBlobs.
func (p *Pod) listBlobs(ctx context.Context, did syntax.DID) ([]cid.CID, error) {
	var out []cid.CID
	cursor := ""
	for range 100_000 {
		q := url.Values{"did": {string(did)}, "limit": {"1000"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			CIDs   []string `json:"cids"`
			Cursor string   `json:"cursor"`
		}
		if err := p.getJSON(ctx, "com.atproto.sync.listBlobs", q, &page); err != nil {
			return nil, err
		}
		for _, s := range page.CIDs {
			c, err := cid.Parse(s)
			if err != nil {
				return nil, rhizome.Errorf(opPod, rhizome.Invalid, "listBlobs: %w", err)
			}
			out = append(out, c)
		}
		if page.Cursor == "" || len(page.CIDs) == 0 {
			return out, nil
		}
		cursor = page.Cursor
	}
	return nil, rhizome.E(opPod, rhizome.Invalid, "listBlobs does not end")
}
