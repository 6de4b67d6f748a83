package backup

import (
	"bytes"
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/repo"
)

// Restored is what a restore did.
type Restored struct {
	*custody.Restored
	Snapshot        Snapshot
	Preferences     bool   // the preferences were put back
	PreferencesNote string // why not, if they were saved but not put back
}

const opRestore = "restore backup"

// Restore verifies snapshot s whole (see Verify) and only then brings its
// account up on in.Pod through custody's restore: the pod reserves a
// signing key, signer (the user's rotation key) names the pod in the DID,
// the account is created for the existing DID, the repository (a plain
// CAR reassembled from the packs) and the blobs are imported and read
// back. The preferences, if the snapshot has them, are put back last. If
// verification fails nothing is sent to the pod or the directory.
func (a *Archive) Restore(ctx context.Context, tool *custody.Tool, s Snapshot, in custody.RestoreInput, signer keys.Signer, prog func(Progress)) (*Restored, error) {
	if in.DID == "" {
		in.DID = s.DID
	}
	if in.DID != s.DID {
		return nil, rhizome.Errorf(opRestore, rhizome.Invalid, "snapshot %s is of %s, not %s", s.ShortID(), s.DID, in.DID)
	}
	v, err := a.Verify(ctx, s, prog)
	if err != nil {
		return nil, rhizome.Errorf(opRestore, rhizome.KindOf(err), "nothing was restored: %w", err)
	}
	head, _ := cid.Parse(s.Commit)
	var car bytes.Buffer
	if err := repo.WriteCAR(ctx, &car, v.Blocks, head); err != nil {
		return nil, rhizome.Errorf(opRestore, rhizome.KindOf(err), "reassemble the repository: %w", err)
	}
	if prog != nil {
		prog(Progress{Phase: "restore", BlocksTotal: int64(s.Blocks), BlobsTotal: int64(len(s.Blobs))})
	}
	in.Source = &source{a: a, s: s, car: car.Bytes()}
	res, err := tool.Restore(ctx, in, signer)
	out := &Restored{Restored: res, Snapshot: s}
	if err != nil {
		return out, err
	}
	return out, out.putPreferences(ctx, a, in.Pod)
}

func (r *Restored) putPreferences(ctx context.Context, a *Archive, pod *custody.Pod) error {
	if r.Snapshot.Preferences == "" {
		return nil
	}
	prefs, err := a.get(ctx, r.Snapshot.Preferences)
	if err != nil {
		return err
	}
	err = pod.PutPreferences(ctx, r.Session.AccessJWT, prefs)
	switch {
	case notImplemented(err):
		r.PreferencesNote = "the pod does not serve app.bsky.actor.putPreferences: the preferences were not put back"
		return nil
	case err != nil:
		return rhizome.Errorf(opRestore, rhizome.KindOf(err), "put the preferences back: %w", err)
	}
	r.Preferences = true
	return nil
}

// source is a verified snapshot as custody reads a backup.
type source struct {
	a   *Archive
	s   Snapshot
	car []byte
}

func (src *source) String() string { return "snapshot " + src.s.ShortID() }

func (src *source) Manifest(context.Context) (*custody.Manifest, error) {
	m := &custody.Manifest{DID: src.s.DID, Pod: src.s.Pod, TakenAt: src.s.TakenAt, Commit: src.s.Commit,
		Data: src.s.Data, Rev: src.s.Rev, Records: src.s.Records, Blobs: make([]custody.BlobEntry, len(src.s.Blobs))}
	for i, b := range src.s.Blobs {
		m.Blobs[i] = custody.BlobEntry{CID: b.CID, MimeType: b.MimeType, Size: b.Size}
	}
	return m, nil
}

func (src *source) CAR(context.Context) ([]byte, error) { return src.car, nil }

// Blob reads and checks the blob again: verification read it once, but
// the archive may have changed since.
func (src *source) Blob(ctx context.Context, c cid.CID) ([]byte, error) {
	for _, b := range src.s.Blobs {
		if b.CID == c.String() {
			data, err := src.a.get(ctx, b.Object)
			if err != nil {
				return nil, err
			}
			return data, checkBlob(b, data)
		}
	}
	return nil, rhizome.Errorf(opRestore, rhizome.NotFound, "blob %s is not in snapshot %s", c, src.s.ShortID())
}
