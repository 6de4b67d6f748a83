package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

// PackSize is the plaintext size at which a pack is closed and a new one
// started.
var PackSize = 4 << 20

// Progress is what a long operation has done so far.
type Progress struct {
	Phase                   string
	Blocks, BlocksTotal     int64 // repository blocks handled (new ones written, known ones skipped)
	Blobs, BlobsTotal       int64
	BytesWritten, BytesRead int64
}

// CreateInput says what to back up.
type CreateInput struct {
	Pod *custody.Pod
	DID syntax.DID
	// Tool resolves the DID through its verified PLC log: the signing key
	// the repository must be signed with, the handle.
	Tool *custody.Tool
	// Login and Password (an app password will do), if set, let the
	// snapshot include the account's preferences.
	Login, Password string
	Progress        func(Progress) // may be nil
	Now             func() time.Time
}

const opCreate = "create backup"

// Backup takes a snapshot of in.DID into the archive, storing only the
// repository blocks and blobs the archive's latest snapshot of the DID
// lacks. The repository is downloaded whole and verified (signature
// against the DID's current key, every block, the MST complete) before
// anything is written.
func (a *Archive) Backup(ctx context.Context, in CreateInput) (Snapshot, error) {
	c := &creator{a: a, in: in, prog: in.Progress}
	if c.prog == nil {
		c.prog = func(Progress) {}
	}
	return c.run(ctx)
}

type creator struct {
	a    *Archive
	in   CreateInput
	prog func(Progress)
	p    Progress
	m    *Manifest
	prev *Snapshot
	refs map[cid.CID]bool // the blobs the records refer to
}

func (c *creator) phase(name string) { c.p.Phase = name; c.prog(c.p) }

func (c *creator) run(ctx context.Context) (Snapshot, error) {
	files0, bytes0 := c.a.Written()
	if err := c.identity(ctx); err != nil {
		return Snapshot{}, err
	}
	if prev, err := c.a.Find(ctx, "", c.in.DID); err == nil {
		c.prev, c.m.Previous = &prev, prev.ID
	} else if !rhizome.Is(err, rhizome.NotFound) {
		return Snapshot{}, err
	}
	if err := c.repository(ctx); err != nil {
		return Snapshot{}, err
	}
	if err := c.blobs(ctx); err != nil {
		return Snapshot{}, err
	}
	if err := c.preferences(ctx); err != nil {
		return Snapshot{}, err
	}
	files, n := c.a.Written()
	c.m.WrittenObjects, c.m.WrittenBytes = files-files0, n-bytes0
	c.phase("manifest")
	id, err := c.a.putManifest(ctx, c.m)
	if err != nil {
		return Snapshot{}, err
	}
	c.p.BytesWritten = c.m.WrittenBytes
	c.phase("done")
	return Snapshot{ID: id, Manifest: c.m}, nil
}

// identity resolves the DID and starts the manifest.
func (c *creator) identity(ctx context.Context) error {
	c.phase("identity")
	l, err := c.in.Tool.Fetch(ctx, c.in.DID)
	if err != nil {
		return err
	}
	data, err := l.Data()
	if err != nil {
		return err
	}
	key, err := data.SigningKey()
	if err != nil {
		return rhizome.Errorf(opCreate, rhizome.KindOf(err), "%s: %w", c.in.DID, err)
	}
	ident, err := json.Marshal(data)
	if err != nil {
		return rhizome.E(opCreate, rhizome.Other, err)
	}
	now := time.Now
	if c.in.Now != nil {
		now = c.in.Now
	}
	h, _ := data.Handle()
	c.m = &Manifest{Format: Version, DID: c.in.DID, Handle: string(h), Pod: c.in.Pod.URL, TakenAt: now().UTC(),
		SigningKey: key.DIDKey(), Identity: ident, Packs: []Pack{}, Blobs: []Blob{}}
	return nil
}

// repository downloads and verifies the repository, packs the commit
// and the record blocks the previous snapshot lacks, and writes the index.
func (c *creator) repository(ctx context.Context) error {
	known, packOf, err := c.knownBlocks(ctx)
	if err != nil {
		return err
	}
	c.phase("repository")
	b, err := c.in.Pod.GetRepo(ctx, c.in.DID)
	if err != nil {
		return err
	}
	c.p.BytesRead += int64(len(b))
	key, err := parseKey(c.m.SigningKey)
	if err != nil {
		return err
	}
	bs := mem.NewBlocks()
	r, st, err := repo.ReadCAR(ctx, bytes.NewReader(b), bs, repo.ImportOptions{DID: c.in.DID, Key: key})
	if err != nil {
		return rhizome.Errorf(opCreate, rhizome.KindOf(err), "the pod's repository does not verify: %w", err)
	}
	commit, root := r.Head()
	c.m.Commit, c.m.Data, c.m.Rev, c.m.Records = root.String(), commit.Data.String(), string(commit.Rev), st.Records
	entries, blocks, err := contents(ctx, r, bs)
	if err != nil {
		return err
	}
	c.m.Blocks, c.p.BlocksTotal = len(blocks), int64(len(blocks))
	c.refs = blobRefs(blocks[1:])
	keep := map[int]bool{}
	pw := &packer{c: c}
	for _, blk := range blocks {
		c.p.Blocks++
		if i, ok := packOf[blk.CID]; ok && known[blk.CID] {
			keep[i] = true
			continue
		}
		if err := pw.add(ctx, blk); err != nil {
			return err
		}
	}
	if err := pw.flush(ctx); err != nil {
		return err
	}
	c.m.Packs = append(c.keptPacks(keep), c.m.Packs...)
	return c.index(ctx, entries)
}

// index writes a delta over the previous snapshot's index, or a full
// index when there is none or the chain is long enough.
func (c *creator) index(ctx context.Context, entries []op) error {
	c.phase("index")
	if c.prev != nil && len(c.prev.Index) <= MaxDeltas {
		old, err := c.a.readIndex(ctx, c.prev.Index)
		if err != nil {
			return rhizome.Errorf(opCreate, rhizome.KindOf(err), "the previous snapshot %s: %w", c.prev.ShortID(), err)
		}
		d := diff(old, entries)
		if n := c.prev.IndexDeltaEntries + len(d); n <= len(entries)/4 {
			name, _, err := c.a.put(ctx, objectsDir, encodeIndex(deltaIndex, d))
			c.m.Index, c.m.IndexDeltaEntries = append(slices.Clone(c.prev.Index), name), n
			return err
		}
	}
	name, _, err := c.a.put(ctx, objectsDir, encodeIndex(fullIndex, entries))
	c.m.Index = []string{name}
	return err
}

// keptPacks are the previous snapshot's packs that hold blocks this one
// needs.
func (c *creator) keptPacks(keep map[int]bool) []Pack {
	var out []Pack
	if c.prev == nil {
		return out
	}
	for i, p := range c.prev.Packs {
		if keep[i] {
			out = append(out, p)
		}
	}
	return out
}

// knownBlocks reads the previous snapshot's packs: which blocks the
// archive holds, and in which of them.
func (c *creator) knownBlocks(ctx context.Context) (map[cid.CID]bool, map[cid.CID]int, error) {
	known, packOf := map[cid.CID]bool{}, map[cid.CID]int{}
	if c.prev == nil {
		return known, packOf, nil
	}
	c.phase("reading previous snapshot")
	for i, p := range c.prev.Packs {
		plain, err := c.a.get(ctx, p.Object)
		if err != nil {
			return nil, nil, rhizome.Errorf(opCreate, rhizome.KindOf(err), "the previous snapshot %s: %w", c.prev.ShortID(), err)
		}
		c.p.BytesRead += int64(len(plain))
		_, err = car.ReadAll(bytes.NewReader(plain), func(k cid.CID, _ []byte) error {
			known[k], packOf[k] = true, i
			return nil
		})
		if err != nil {
			return nil, nil, rhizome.Errorf(opCreate, rhizome.Corrupt, "pack %s of the previous snapshot: %w", p.Object, err)
		}
	}
	return known, packOf, nil
}

// contents lists the tree's entries (sorted by key) and the blocks a
// snapshot stores: the commit, then each distinct record block.
func contents(ctx context.Context, r *repo.Repo, bs rhizome.BlockReader) ([]op, []rhizome.Block, error) {
	commit, root := r.Head()
	var entries []op
	if err := r.Tree().Walk(ctx, "", func(k string, v cid.CID) error {
		entries = append(entries, op{Key: k, Val: v})
		return nil
	}); err != nil {
		return nil, nil, rhizome.Errorf("walk repository", rhizome.KindOf(err), "%w", err)
	}
	seen := map[cid.CID]bool{}
	var vals []cid.CID
	for _, e := range entries {
		if !seen[e.Val] {
			seen[e.Val] = true
			vals = append(vals, e.Val)
		}
	}
	got, err := bs.GetBlocks(ctx, vals)
	if err != nil {
		return nil, nil, err
	}
	blocks := append(make([]rhizome.Block, 0, len(vals)+1), rhizome.Block{CID: root, Data: commit.Bytes()})
	for i, v := range vals {
		if got[i] == nil {
			return nil, nil, rhizome.Errorf("walk repository", rhizome.Corrupt, "record block %s is missing", v)
		}
		blocks = append(blocks, rhizome.Block{CID: v, Data: got[i]})
	}
	return entries, blocks, nil
}

// packer gathers new blocks into packs of about PackSize.
type packer struct {
	c      *creator
	buf    bytes.Buffer
	w      *car.Writer
	blocks int
}

func (p *packer) add(ctx context.Context, b rhizome.Block) error {
	if p.w == nil {
		w, err := car.NewWriter(&p.buf)
		if err != nil {
			return err
		}
		p.w = w
	}
	if err := p.w.Put(b.CID, b.Data); err != nil {
		return err
	}
	p.blocks++
	if p.buf.Len() >= PackSize {
		return p.flush(ctx)
	}
	return nil
}

func (p *packer) flush(ctx context.Context) error {
	if p.w == nil {
		return nil
	}
	if err := p.w.Close(); err != nil {
		return err
	}
	name, _, err := p.c.a.put(ctx, objectsDir, p.buf.Bytes())
	if err != nil {
		return err
	}
	p.c.m.Packs = append(p.c.m.Packs, Pack{Object: name, Blocks: p.blocks, Size: p.buf.Len()})
	_, p.c.p.BytesWritten = p.c.a.Written()
	p.c.prog(p.c.p)
	p.buf.Reset()
	p.w, p.blocks = nil, 0
	return nil
}
