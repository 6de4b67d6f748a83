package backup

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Manifest describes one snapshot: the account, the repository commit it
// holds, and every object it needs. It is stored encrypted, named like an
// object by the keyed hash of its JSON.
type Manifest struct {
	Format  int        `json:"format"`
	DID     syntax.DID `json:"did"`
	Handle  string     `json:"handle,omitempty"`
	Pod     string     `json:"pod"`
	TakenAt time.Time  `json:"takenAt"`
	// SigningKey is the DID's #atproto key when the snapshot was taken
	// (did:key): the commit's signature is checked against it. Identity
	// is the DID's verified PLC state then (public data: no private key
	// of anyone is ever in an archive).
	SigningKey string          `json:"signingKey"`
	Identity   json.RawMessage `json:"identity,omitempty"`

	Commit  string `json:"commit"` // the commit block's CID
	Data    string `json:"data"`   // its MST root
	Rev     string `json:"rev"`
	Records int    `json:"records"`
	Blocks  int    `json:"blocks"` // the commit and the distinct record blocks

	// Index is the chain of index objects (a full index, then deltas)
	// that replays into every record key and its CID; the MST is rebuilt
	// from it and must hash to the commit's data. IndexDeltaEntries
	// counts the entries of the chain's deltas.
	Index             []string `json:"index"`
	IndexDeltaEntries int      `json:"indexDeltaEntries"`
	// Packs hold the commit and every record block (earlier snapshots'
	// packs included). MST nodes are not stored: they are derived.
	Packs []Pack `json:"packs"`
	Blobs []Blob `json:"blobs"`
	// UnreferencedBlobs counts blobs the pod listed that no record refers
	// to (uploaded and never used, or left by a deleted record): they are
	// not saved, as no pod would keep them after a restore.
	UnreferencedBlobs int `json:"unreferencedBlobs,omitempty"`
	// Preferences is the object holding app.bsky.actor.getPreferences'
	// array, "" when none was saved; PreferencesNote says why not.
	Preferences     string `json:"preferences,omitempty"`
	PreferencesNote string `json:"preferencesNote,omitempty"`

	// Previous is the snapshot this one was made incrementally over.
	Previous string `json:"previous,omitempty"`
	// Written is what making this snapshot added to the target before
	// its manifest: objects and their encrypted bytes.
	WrittenObjects int64 `json:"writtenObjects"`
	WrittenBytes   int64 `json:"writtenBytes"`
}

// Pack is one object of repository blocks: a CAR v1 without roots.
type Pack struct {
	Object string `json:"object"`
	Blocks int    `json:"blocks"`
	Size   int    `json:"size"` // plaintext bytes
}

// Blob is one blob and the object holding its bytes.
type Blob struct {
	CID      string `json:"cid"`
	MimeType string `json:"mimeType,omitempty"`
	Size     int64  `json:"size"`
	Object   string `json:"object"`
}

// Snapshot is a manifest with its name in the archive.
type Snapshot struct {
	ID string // "snapshots/<hex>"
	*Manifest
}

// ShortID is the snapshot's name without the folder, cut to 16 hex
// digits, as `rhizome backup list` shows it and --snapshot accepts.
func (s Snapshot) ShortID() string { return strings.TrimPrefix(s.ID, snapsDir)[:16] }

func (a *Archive) putManifest(ctx context.Context, m *Manifest) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", rhizome.E("write manifest", rhizome.Other, err)
	}
	name, _, err := a.put(ctx, snapsDir, b)
	return name, err
}

func (a *Archive) readManifest(ctx context.Context, name string) (*Manifest, error) {
	b, err := a.get(ctx, name)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, rhizome.Errorf("read manifest", rhizome.Corrupt, "snapshot %s: %w", name, err)
	}
	if m.Format != Version {
		return nil, rhizome.Errorf("read manifest", rhizome.Corrupt, "snapshot %s has format %d, not %d", name, m.Format, Version)
	}
	return &m, nil
}

// Snapshots reads every snapshot's manifest, oldest first. A manifest
// that fails to decrypt or check is an error naming it.
func (a *Archive) Snapshots(ctx context.Context) ([]Snapshot, error) {
	names, err := a.t.List(ctx, snapsDir)
	if err != nil {
		return nil, err
	}
	out := make([]Snapshot, 0, len(names))
	for _, n := range names {
		m, err := a.readManifest(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, Snapshot{ID: n, Manifest: m})
	}
	slices.SortStableFunc(out, func(x, y Snapshot) int { return x.TakenAt.Compare(y.TakenAt) })
	return out, nil
}

// Find returns the snapshot id names (a whole name or a prefix of its
// hex), or with id "" the latest snapshot of did (of any account if did
// is "" too).
func (a *Archive) Find(ctx context.Context, id string, did syntax.DID) (Snapshot, error) {
	all, err := a.Snapshots(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	var found []Snapshot
	for _, s := range all {
		switch {
		case id != "" && strings.HasPrefix(strings.TrimPrefix(s.ID, snapsDir), strings.TrimPrefix(id, snapsDir)):
			found = append(found, s)
		case id == "" && (did == "" || s.DID == did):
			found = []Snapshot{s}
		}
	}
	switch {
	case len(found) == 0 && id != "":
		return Snapshot{}, rhizome.Errorf("find snapshot", rhizome.NotFound, "no snapshot %s in the archive", id)
	case len(found) == 0:
		return Snapshot{}, rhizome.Errorf("find snapshot", rhizome.NotFound, "no snapshot of %s in the archive", orAny(did))
	case len(found) > 1:
		return Snapshot{}, rhizome.Errorf("find snapshot", rhizome.Invalid, "%d snapshots start with %s; give more of the ID", len(found), id)
	}
	return found[0], nil
}

func orAny(did syntax.DID) string {
	if did == "" {
		return "any account"
	}
	return string(did)
}
