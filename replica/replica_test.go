package replica

import (
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/firehose"
	"github.com/rhizome-pds/rhizome/store"
)

func TestDecodeFrame_Events(t *testing.T) {
	rec := cid.Sum(cid.DagCBOR, []byte{0xa0})
	commit := cid.Sum(cid.DagCBOR, []byte{0xa1, 0x61, 0x61, 0x01})
	frame := func(t *testing.T, typ string, body map[string]any) []byte {
		t.Helper()
		b, err := data.MarshalCBOR(body)
		if err != nil {
			t.Fatal(err)
		}
		f, err := firehose.Frame(store.Event{Seq: 42, Type: typ, Body: b})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	t.Run("commit", func(t *testing.T) {
		ev, err := decodeFrame(frame(t, "commit", map[string]any{
			"repo": "did:plc:abc", "rev": "3kaaaaaaaaaa2", "since": "3kaaaaaaaaaa1", "commit": commit, "prevData": rec,
			"blocks": []byte{1, 2}, "time": "2026-01-01T00:00:00Z", "rebase": false, "tooBig": false, "blobs": []any{},
			"ops": []any{map[string]any{"action": "create", "path": "app.x/1", "cid": rec, "prev": nil}}}))
		if err != nil {
			t.Fatal(err)
		}
		c := ev.commit
		if ev.typ != "#commit" || ev.seq != 42 || ev.did != "did:plc:abc" || ev.since != "3kaaaaaaaaaa1" || ev.time == "" ||
			c == nil || c.Commit != commit || c.PrevData == nil || *c.PrevData != rec || len(c.Ops) != 1 || c.Ops[0].CID == nil || c.Ops[0].Prev != nil {
			t.Fatalf("decoded %+v %+v", ev, c)
		}
	})
	t.Run("account", func(t *testing.T) {
		ev, err := decodeFrame(frame(t, "account", map[string]any{"did": "did:plc:abc", "active": false, "status": "deactivated", "time": "x"}))
		if err != nil || ev.typ != "#account" || ev.did != "did:plc:abc" || ev.active || ev.status != "deactivated" {
			t.Fatalf("decoded %+v, %v", ev, err)
		}
	})
	t.Run("info and error frames", func(t *testing.T) {
		ev, err := decodeFrame(firehose.InfoFrame("OutdatedCursor", "old"))
		if err != nil || ev.typ != "#info" || ev.name != "OutdatedCursor" {
			t.Fatalf("info: %+v, %v", ev, err)
		}
		ev, err = decodeFrame(firehose.ErrorFrame("FutureCursor", "ahead"))
		if err != nil || ev.typ != "error" || ev.name != "FutureCursor: ahead" {
			t.Fatalf("error: %+v, %v", ev, err)
		}
	})
	t.Run("rejects", func(t *testing.T) {
		for name, f := range map[string][]byte{
			"empty":            nil,
			"header only":      firehose.InfoFrame("x", "y")[:6],
			"commit lacks cid": frame(t, "commit", map[string]any{"repo": "did:plc:abc", "blocks": []byte{}}),
			"commit lacks CAR": frame(t, "commit", map[string]any{"repo": "did:plc:abc", "commit": commit}),
			"op is not a map":  frame(t, "commit", map[string]any{"repo": "did:plc:abc", "commit": commit, "blocks": []byte{}, "ops": []any{"x"}}),
		} {
			if _, err := decodeFrame(f); err == nil {
				t.Errorf("%s: decoded", name)
			}
		}
	})
}

func TestStateDir_SaveAll(t *testing.T) {
	d := stateDir(t.TempDir())
	if got, err := d.all(); err != nil || len(got) != 0 {
		t.Fatalf("empty dir: %v %v", got, err)
	}
	a := State{DID: "did:plc:aaa", Primary: "http://127.0.0.1:1", Cursor: 7}
	b := State{DID: "did:web:example.com", Primary: "https://x.example", Cursor: 0}
	for _, s := range []State{a, b, {DID: a.DID, Primary: a.Primary, Cursor: 9}} {
		if err := d.save(s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := d.all()
	if err != nil || len(got) != 2 {
		t.Fatalf("all: %+v %v", got, err)
	}
	for _, s := range got {
		if s.DID == a.DID && s.Cursor != 9 {
			t.Fatalf("the later save did not win: %+v", s)
		}
	}
	if err := d.remove(a.DID); err != nil {
		t.Fatal(err)
	}
	if err := d.remove(a.DID); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
	if got, _ := d.all(); len(got) != 1 || got[0].DID != b.DID {
		t.Fatalf("after remove: %+v", got)
	}
}

func TestCheckURL_Primaries(t *testing.T) {
	for in, want := range map[string]string{"http://127.0.0.1:2583/": "http://127.0.0.1:2583", "https://pod.example": "https://pod.example"} {
		if got, err := checkURL(in); err != nil || got != want {
			t.Errorf("checkURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "file:///etc/passwd", "ftp://x", "http://", "https://x.example/?a=b", "::"} {
		if _, err := checkURL(bad); err == nil {
			t.Errorf("checkURL(%q) accepted", bad)
		}
	}
}
