package backup

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/mst"
	"github.com/rhizome-pds/rhizome/repo"
)

// Verified is a snapshot every object of which was read and checked.
type Verified struct {
	Snapshot
	// Blocks holds exactly the blocks reachable from the commit.
	Blocks *mem.Blocks
	Repo   *repo.Repo
	// Objects and Bytes count what was read (manifest excluded).
	Objects int
	Bytes   int64
}

const opVerify = "verify backup"

// Verify reads every object s needs and checks it: each decrypts under
// the archive's key and hashes to its name; each pack is a CAR whose
// blocks hash to their CIDs; the commit is the manifest's, for its DID,
// signed by the key the DID named when the snapshot was taken; the MST
// is complete (every node and record reachable from the commit is in some
// pack); each blob hashes to its CID and has its size; the preferences
// are JSON. The first failure is returned, naming the object.
func (a *Archive) Verify(ctx context.Context, s Snapshot, prog func(Progress)) (*Verified, error) {
	if prog == nil {
		prog = func(Progress) {}
	}
	v := &Verified{Snapshot: s}
	p := Progress{Phase: "verify repository", BlocksTotal: int64(s.Blocks), BlobsTotal: int64(len(s.Blobs))}
	all := mem.NewBlocks()
	for _, pk := range s.Packs {
		n, err := v.readPack(ctx, a, pk, all)
		if err != nil {
			return nil, err
		}
		p.Blocks += int64(n)
		p.BytesRead = v.Bytes
		prog(p)
	}
	if err := v.checkRepo(ctx, a, all); err != nil {
		return nil, err
	}
	p.Phase = "verify blobs"
	for _, b := range s.Blobs {
		if _, err := v.readBlob(ctx, a, b); err != nil {
			return nil, err
		}
		p.Blobs++
		p.BytesRead = v.Bytes
		prog(p)
	}
	if s.Preferences != "" {
		b, err := v.read(ctx, a, s.Preferences)
		if err != nil {
			return nil, rhizome.Errorf(opVerify, rhizome.KindOf(err), "preferences: %w", err)
		}
		if !json.Valid(b) {
			return nil, rhizome.Errorf(opVerify, rhizome.Corrupt, "preferences object %s is not JSON", s.Preferences)
		}
	}
	p.Phase = "verified"
	prog(p)
	return v, nil
}

func (v *Verified) read(ctx context.Context, a *Archive, name string) ([]byte, error) {
	b, err := a.get(ctx, name)
	if err == nil {
		v.Objects++
		v.Bytes += int64(len(b))
	}
	return b, err
}

// readPack checks one pack and adds its blocks to bs.
func (v *Verified) readPack(ctx context.Context, a *Archive, pk Pack, bs *mem.Blocks) (int, error) {
	plain, err := v.read(ctx, a, pk.Object)
	if err != nil {
		return 0, rhizome.Errorf(opVerify, rhizome.KindOf(err), "pack: %w", err)
	}
	n := 0
	_, err = car.ReadAll(bytes.NewReader(plain), func(c cid.CID, data []byte) error {
		bs.Set(c, bytes.Clone(data))
		n++
		return nil
	})
	if err != nil {
		return 0, rhizome.Errorf(opVerify, rhizome.Corrupt, "pack %s: %w", pk.Object, err)
	}
	if n != pk.Blocks || len(plain) != pk.Size {
		return 0, rhizome.Errorf(opVerify, rhizome.Corrupt, "pack %s holds %d blocks in %d bytes; the manifest says %d in %d", pk.Object, n, len(plain), pk.Blocks, pk.Size)
	}
	return n, nil
}

// checkRepo checks the commit against the manifest and its signature,
// replays the index, rebuilds the MST from it (it must hash to the
// commit's data: the signature then covers every key and record CID),
// and checks every record block is in a pack. It keeps the commit, the
// records and the rebuilt nodes: a whole repository.
func (v *Verified) checkRepo(ctx context.Context, a *Archive, all *mem.Blocks) error {
	s := v.Snapshot
	head, err := cid.Parse(s.Commit)
	if err != nil {
		return rhizome.Errorf(opVerify, rhizome.Corrupt, "manifest %s: commit: %w", s.ID, err)
	}
	commit, err := v.commit(ctx, all, head)
	if err != nil {
		return err
	}
	entries, err := a.readIndex(ctx, s.Index)
	if err != nil {
		return rhizome.Errorf(opVerify, rhizome.KindOf(err), "%w", err)
	}
	v.Blocks = mem.NewBlocks()
	v.Blocks.Set(head, commit)
	for _, e := range entries {
		b, _ := all.GetBlocks(ctx, []cid.CID{e.Val})
		if b[0] == nil {
			return rhizome.Errorf(opVerify, rhizome.Corrupt, "the repository is incomplete: record %s (%s) is in none of the snapshot's %d packs", e.Key, e.Val, len(s.Packs))
		}
		v.Blocks.Set(e.Val, b[0])
	}
	tree, err := mst.Build(v.Blocks, entries)
	if err != nil {
		return rhizome.Errorf(opVerify, rhizome.Corrupt, "rebuild the tree from the index: %w", err)
	}
	if root := tree.Root(); root.String() != s.Data {
		return rhizome.Errorf(opVerify, rhizome.Corrupt, "the index rebuilds a tree with root %s; the signed commit's is %s", root, s.Data)
	}
	if n := v.Blocks.Len(); n != s.Blocks {
		return rhizome.Errorf(opVerify, rhizome.Corrupt, "the commit and records are %d blocks; the manifest says %d", n, s.Blocks)
	}
	if err := v.Blocks.PutBlocks(ctx, tree.NewBlocks()); err != nil {
		return err
	}
	if v.Repo, err = repo.Open(ctx, v.Blocks, head); err != nil {
		return err
	}
	_, records, err := v.Repo.Verify(ctx)
	if err != nil {
		return rhizome.Errorf(opVerify, rhizome.Corrupt, "the repository: %w", err)
	}
	if records != s.Records {
		return rhizome.Errorf(opVerify, rhizome.Corrupt, "the tree holds %d records; the manifest says %d", records, s.Records)
	}
	return nil
}

// commit reads the commit block and checks it: the manifest's, for its
// DID, signed by the key the DID named when the snapshot was taken.
func (v *Verified) commit(ctx context.Context, all *mem.Blocks, head cid.CID) ([]byte, error) {
	s := v.Snapshot
	got, _ := all.GetBlocks(ctx, []cid.CID{head})
	if got[0] == nil {
		return nil, rhizome.Errorf(opVerify, rhizome.Corrupt, "the commit %s is in none of the snapshot's %d packs", head, len(s.Packs))
	}
	c, err := repo.DecodeCommit(got[0])
	if err != nil {
		return nil, rhizome.Errorf(opVerify, rhizome.Corrupt, "the commit %s: %w", head, err)
	}
	if c.DID != s.DID || c.Data.String() != s.Data || string(c.Rev) != s.Rev {
		return nil, rhizome.Errorf(opVerify, rhizome.Corrupt, "the commit %s (%s, rev %s) is not the one manifest %s describes", head, c.DID, c.Rev, s.ID)
	}
	key, err := parseKey(s.SigningKey)
	if err != nil {
		return nil, err
	}
	if err := c.Verify(key); err != nil {
		return nil, rhizome.Errorf(opVerify, rhizome.Corrupt, "the commit %s is not signed by %s, the DID's key when the snapshot was taken: %w", head, s.SigningKey, err)
	}
	return got[0], nil
}

// readBlob reads one blob and checks it against its CID and size.
func (v *Verified) readBlob(ctx context.Context, a *Archive, b Blob) ([]byte, error) {
	data, err := v.read(ctx, a, b.Object)
	if err != nil {
		return nil, rhizome.Errorf(opVerify, rhizome.KindOf(err), "blob %s: %w", b.CID, err)
	}
	return data, checkBlob(b, data)
}

func checkBlob(b Blob, data []byte) error {
	c, err := cid.Parse(b.CID)
	if err != nil {
		return rhizome.Errorf(opVerify, rhizome.Corrupt, "manifest: blob CID %q: %w", b.CID, err)
	}
	if !c.Matches(data) || int64(len(data)) != b.Size {
		return rhizome.Errorf(opVerify, rhizome.Corrupt, "object %s does not hold blob %s (hash or size differ)", b.Object, b.CID)
	}
	return nil
}
