package repo

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/mst"
	"github.com/rhizome-pds/rhizome/syntax"
)

const firehoseDir = "../../shared/testdata/indigo-firehose"

type jsonLink struct {
	Link string `json:"$link"`
}

type jsonFrame struct {
	Repo     string    `json:"repo"`
	Rev      string    `json:"rev"`
	Commit   jsonLink  `json:"commit"`
	PrevData *jsonLink `json:"prevData"`
	Blocks   struct {
		Bytes string `json:"$bytes"`
	} `json:"blocks"`
	Ops []struct {
		Action string    `json:"action"`
		Path   string    `json:"path"`
		CID    *jsonLink `json:"cid"`
		Prev   *jsonLink `json:"prev"`
	} `json:"ops"`
}

func parseLink(t *testing.T, l *jsonLink) *cid.CID {
	if l == nil {
		return nil
	}
	c, err := cid.Parse(l.Link)
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

func loadFrame(t *testing.T, path string) *CommitEvent {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f jsonFrame
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	blocks, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(f.Blocks.Bytes, "="))
	if err != nil {
		t.Fatal(err)
	}
	ev := &CommitEvent{Repo: syntax.DID(f.Repo), Rev: syntax.TID(f.Rev), Commit: *parseLink(t, &f.Commit),
		PrevData: parseLink(t, f.PrevData), Blocks: blocks}
	for _, o := range f.Ops {
		ev.Ops = append(ev.Ops, EventOp{Action: o.Action, Path: o.Path, CID: parseLink(t, o.CID), Prev: parseLink(t, o.Prev)})
	}
	return ev
}

// The real frames predate Sync 1.1 (no prevData) and their accounts' keys
// live in the public PLC directory, which tests must not reach. So each
// frame is checked for everything it carries: the commit's form and
// signature shape, the signature check being wired (a stranger's key
// fails), and that every op matches the tree the frame's blocks prove.
// Pre-1.1 producers did not ship the neighbour nodes inversion needs, so
// inverting them must fail for lack of a block rather than guess.
func TestVerifyCommitEvent_RealFrames(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(firehoseDir, "firehose_commit_*.json"))
	if len(files) != 4 {
		t.Fatalf("fixtures missing: found %d firehose frames in %s, want 4", len(files), firehoseDir)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ev := loadFrame(t, path)
			c, proof, err := VerifyCommitEvent(context.Background(), ev, nil)
			if err != nil || proof != ProvenOps {
				t.Fatalf("verify: proof %d, %v", proof, err)
			}
			if len(c.Sig) != 64 {
				t.Fatalf("signature of %d bytes", len(c.Sig))
			}
			stranger, _ := keys.Generate(keys.K256)
			if _, _, err := VerifyCommitEvent(context.Background(), ev, stranger.PublicKey()); !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("verified with a stranger's key: %v", err)
			}
			checkFrameInverts(t, ev, c)
		})
	}
}

// checkFrameInverts tries to invert a legacy frame's ops with its blocks.
func checkFrameInverts(t *testing.T, ev *CommitEvent, c *Commit) {
	bs := mem.NewBlocks()
	if _, _, err := loadEventCAR(context.Background(), ev, bs); err != nil {
		t.Fatal(err)
	}
	ops, err := eventOps(context.Background(), mst.Load(bs, c.Data), ev.Ops)
	if err != nil {
		t.Fatal(err)
	}
	tree := mst.Load(bs, c.Data)
	if err := tree.Invert(context.Background(), ops); !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("legacy frame inverted without its neighbour nodes: %v", err)
	}
}

// eventFrom packages a commit result as a firehose event would.
func eventFrom(t *testing.T, f *fixture, res *Result) *CommitEvent {
	ctx := context.Background()
	var buf bytes.Buffer
	w, _ := car.NewWriter(&buf, res.CID)
	for _, b := range res.Blocks {
		if err := w.Put(b.CID, b.Data); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range res.Proof {
		data, err := rhizome.GetBlock(ctx, f.bs, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Put(c, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pd := res.PrevData
	ev := &CommitEvent{Repo: res.Commit.DID, Rev: res.Commit.Rev, Commit: res.CID, PrevData: &pd, Blocks: buf.Bytes()}
	for _, op := range res.Ops {
		e := EventOp{Path: op.Key, Action: "update"}
		if op.New.Defined() {
			e.CID = &op.New
		}
		if op.Old.Defined() {
			e.Prev = &op.Old
		}
		switch {
		case op.IsCreate():
			e.Action = "create"
		case op.IsDelete():
			e.Action = "delete"
		}
		ev.Ops = append(ev.Ops, e)
	}
	return ev
}

func TestVerifyCommitEvent_OwnCommits(t *testing.T) {
	ctx := context.Background()
	f := populated(t, 400)
	res := f.apply(t, create("zz1", record(t, "z")), Write{Action: Delete, Collection: "app.bsky.feed.post", RKey: "rec000100"},
		Write{Action: Update, Collection: "app.bsky.feed.post", RKey: "rec000200", Record: record(t, "u")})
	ev := eventFrom(t, f, res)
	if _, proof, err := VerifyCommitEvent(ctx, ev, f.key.PublicKey()); err != nil || proof != ProvenInversion {
		t.Fatalf("own event: proof %d, %v", proof, err)
	}
	t.Run("wrong prevData", func(t *testing.T) {
		bad := *ev
		other := cid.Sum(cid.DagCBOR, []byte("x"))
		bad.PrevData = &other
		if _, _, err := VerifyCommitEvent(ctx, &bad, f.key.PublicKey()); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("op hidden", func(t *testing.T) {
		bad := *ev
		bad.Ops = ev.Ops[1:]
		if _, _, err := VerifyCommitEvent(ctx, &bad, f.key.PublicKey()); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("rev mismatch", func(t *testing.T) {
		bad := *ev
		bad.Rev = f.clock.Next()
		if _, _, err := VerifyCommitEvent(ctx, &bad, f.key.PublicKey()); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("proof block missing", func(t *testing.T) {
		bad := *ev
		bad.Blocks = dropBlock(t, ev.Blocks, len(res.Blocks))
		if len(res.Proof) == 0 {
			bad.Blocks = dropBlock(t, ev.Blocks, 1)
		}
		if _, _, err := VerifyCommitEvent(ctx, &bad, f.key.PublicKey()); err == nil {
			t.Fatal("event with a block missing verified")
		}
	})
}
