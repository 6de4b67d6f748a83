package firehose

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// commitFrame builds a #commit frame for repo with one created record per
// path.
func commitFrame(t *testing.T, repo string, paths ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	commit := cid.Sum(cid.DagCBOR, []byte("commit"))
	w, err := car.NewWriter(&buf, commit)
	if err != nil {
		t.Fatal(err)
	}
	var ops []any
	for _, p := range paths {
		rec, _ := data.MarshalCBOR(map[string]any{"$type": "x.y.z", "text": "at " + p})
		c := cid.Sum(cid.DagCBOR, rec)
		if err := w.Put(c, rec); err != nil {
			t.Fatal(err)
		}
		ops = append(ops, map[string]any{"action": "create", "path": p, "cid": c, "prev": nil})
	}
	w.Close()
	body, err := data.MarshalCBOR(map[string]any{"repo": repo, "rev": "3abc", "time": "2026-01-01T00:00:00.000Z",
		"ops": ops, "blocks": buf.Bytes(), "commit": commit})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Frame(store.Event{Seq: 7, Type: "commit", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRecordsJSON(t *testing.T) {
	frame := commitFrame(t, "did:plc:alice", "app.bsky.feed.post/1", "app.bsky.feed.like/2", "com.example.todo/3")
	type msg struct {
		Seq  int64
		Repo string
		Ops  []struct {
			Action, Collection, RKey, CID string
			Record                        map[string]any
		}
	}
	for name, c := range map[string]struct {
		f     Filter
		colls []string
	}{
		"one collection":       {Filter{Collections: []string{"com.example.todo"}}, []string{"com.example.todo"}},
		"a prefix":             {Filter{Collections: []string{"app.bsky.*"}}, []string{"app.bsky.feed.post", "app.bsky.feed.like"}},
		"everything":           {Filter{Collections: []string{"*"}}, []string{"app.bsky.feed.post", "app.bsky.feed.like", "com.example.todo"}},
		"no match":             {Filter{Collections: []string{"org.other.thing"}}, nil},
		"another repo":         {Filter{Collections: []string{"*"}, Repos: []syntax.DID{"did:plc:bob"}}, nil},
		"this repo and a coll": {Filter{Collections: []string{"app.bsky.feed.like"}, Repos: []syntax.DID{"did:plc:alice"}}, []string{"app.bsky.feed.like"}},
	} {
		t.Run(name, func(t *testing.T) {
			js, ok, err := RecordsJSON(frame, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if ok != (len(c.colls) > 0) {
				t.Fatalf("ok = %v for %s", ok, js)
			}
			if !ok {
				return
			}
			var m msg
			if err := json.Unmarshal(js, &m); err != nil {
				t.Fatalf("%s: %v", js, err)
			}
			if m.Seq != 7 || m.Repo != "did:plc:alice" || len(m.Ops) != len(c.colls) {
				t.Fatalf("message %s", js)
			}
			for i, op := range m.Ops {
				if op.Collection != c.colls[i] || op.Action != "create" || op.Record["text"] != "at "+op.Collection+"/"+op.RKey {
					t.Errorf("op %d: %+v", i, op)
				}
			}
		})
	}
	t.Run("other events are skipped", func(t *testing.T) {
		body, _ := data.MarshalCBOR(map[string]any{"did": "did:plc:alice"})
		f, _ := Frame(store.Event{Seq: 8, Type: "identity", Body: body})
		if _, ok, err := RecordsJSON(f, Filter{Collections: []string{"*"}}); ok || err != nil {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
	})
}

func TestFilter_Narrow(t *testing.T) {
	for name, c := range map[string]struct {
		asked, allowed, want Filter
	}{
		"inside the grant":     {Filter{Collections: []string{"app.bsky.feed.post"}}, Filter{Collections: []string{"app.bsky.*"}}, Filter{Collections: []string{"app.bsky.feed.post"}}},
		"wider than the grant": {Filter{Collections: []string{"*"}}, Filter{Collections: []string{"com.example.todo"}}, Filter{Collections: []string{"com.example.todo"}}},
		"outside the grant":    {Filter{Collections: []string{"app.bsky.feed.post"}}, Filter{Collections: []string{"com.example.*"}}, Filter{}},
		"repos intersect":      {Filter{Collections: []string{"*"}, Repos: []syntax.DID{"did:plc:a", "did:plc:b"}}, Filter{Collections: []string{"*"}, Repos: []syntax.DID{"did:plc:b"}}, Filter{Collections: []string{"*"}, Repos: []syntax.DID{"did:plc:b"}}},
		"no common repo":       {Filter{Collections: []string{"*"}, Repos: []syntax.DID{"did:plc:a"}}, Filter{Collections: []string{"*"}, Repos: []syntax.DID{"did:plc:b"}}, Filter{}},
	} {
		t.Run(name, func(t *testing.T) {
			got := c.asked.Narrow(c.allowed)
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(c.want)
			if !bytes.Equal(g, w) {
				t.Fatalf("got %s, want %s", g, w)
			}
		})
	}
}

func TestParseCollectionPattern(t *testing.T) {
	for _, ok := range []string{"*", "app.bsky.feed.post", "app.bsky.*", "com.example.*"} {
		if _, err := ParseCollectionPattern(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "app", "app.*.post", "a..b", "app.bsky.feed.post*", "**"} {
		if _, err := ParseCollectionPattern(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
