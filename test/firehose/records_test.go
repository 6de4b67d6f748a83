package firehose

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// recordsMsg is one message of dev.rhizome.sync.subscribeRecords.
type recordsMsg struct {
	Seq   int64  `json:"seq"`
	Repo  string `json:"repo"`
	Rev   string `json:"rev"`
	Error string `json:"error"`
	Ops   []struct {
		Action     string          `json:"action"`
		Collection string          `json:"collection"`
		RKey       string          `json:"rkey"`
		CID        string          `json:"cid"`
		Record     json.RawMessage `json:"record"`
	} `json:"ops"`
}

// dialRecords opens the app stream with query q.
func dialRecords(t *testing.T, ctx context.Context, p *pod, q url.Values) *websocket.Conn {
	t.Helper()
	u := "ws://" + p.Addr + "/xrpc/dev.rhizome.sync.subscribeRecords?" + q.Encode()
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}

// readRecords reads messages until n record operations have arrived.
func readRecords(t *testing.T, ctx context.Context, conn *websocket.Conn, n int) []recordsMsg {
	t.Helper()
	var out []recordsMsg
	for got := 0; got < n; {
		typ, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("after %d of %d ops: %v", got, n, err)
		}
		var m recordsMsg
		if typ != websocket.MessageText || json.Unmarshal(b, &m) != nil {
			t.Fatalf("message is not a JSON text message: %q", b)
		}
		if m.Error != "" {
			t.Fatalf("stream error %s", b)
		}
		got += len(m.Ops)
		out = append(out, m)
	}
	return out
}

// An app following chosen collections of chosen repositories gets exactly
// their record operations, as JSON with the records, live and from a
// cursor; bad filters are XRPC errors before the upgrade.
func TestFirehose_SubscribeRecords(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := newPod(t)
	c := newClient(p)
	alice, bob := createAccount(t, c, "alice"), createAccount(t, c, "bob")
	live := dialRecords(t, ctx, p, url.Values{"collection": {"com.example.firehose.*"}, "repo": {alice.did}})
	likes := dialRecords(t, ctx, p, url.Values{"collection": {collections[1]}})
	write := func(a account, coll, rkey, text string) {
		in := map[string]any{"repo": a.did, "collection": coll, "rkey": rkey, "record": map[string]any{"$type": coll, "text": text}}
		c.MustCall(t, "com.atproto.repo.createRecord", a.access, in, &writeOut{})
	}
	write(bob, collections[0], "b1", "bob's post")            // other repo: not for live
	write(alice, "app.bsky.actor.profile", "self", "profile") // other collection
	write(alice, collections[0], "a1", "alice's post")
	write(bob, collections[1], "b2", "bob's like")
	write(alice, collections[1], "a2", "alice's like")
	c.MustCall(t, "com.atproto.repo.deleteRecord", alice.access, map[string]any{"repo": alice.did, "collection": collections[0], "rkey": "a1"}, nil)

	got := readRecords(t, ctx, live, 3)
	wantOps(t, got, alice.did, []string{"create " + collections[0] + "/a1 alice's post", "create " + collections[1] + "/a2 alice's like", "delete " + collections[0] + "/a1"})
	gotLikes := readRecords(t, ctx, likes, 2)
	if gotLikes[0].Repo != bob.did || gotLikes[1].Repo != alice.did {
		t.Fatalf("likes stream: repos %s, %s", gotLikes[0].Repo, gotLikes[1].Repo)
	}

	t.Run("replay from a cursor", func(t *testing.T) {
		conn := dialRecords(t, ctx, p, url.Values{"collection": {"com.example.firehose.*"}, "repo": {alice.did}, "cursor": {"0"}})
		wantOps(t, readRecords(t, ctx, conn, 3), alice.did, []string{"create " + collections[0] + "/a1 alice's post", "create " + collections[1] + "/a2 alice's like", "delete " + collections[0] + "/a1"})
	})
	t.Run("bad filters", func(t *testing.T) {
		for name, q := range map[string]string{"no collection": "", "bad pattern": "collection=not-an-nsid", "bad repo": "collection=a.b.c&repo=alice", "bad cursor": "collection=a.b.c&cursor=-1"} {
			_, resp, err := websocket.Dial(ctx, "ws://"+p.Addr+"/xrpc/dev.rhizome.sync.subscribeRecords?"+q, nil)
			if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: dial err %v, response %v; want a 400", name, err, resp)
			}
		}
	})
}

// wantOps checks the operations of msgs, all of repo, against want
// ("action collection/rkey [text]").
func wantOps(t *testing.T, msgs []recordsMsg, repo string, want []string) {
	t.Helper()
	var got []string
	for _, m := range msgs {
		if m.Repo != repo || m.Seq <= 0 || m.Rev == "" {
			t.Fatalf("message %+v: want repo %s with a seq and rev", m, repo)
		}
		for _, op := range m.Ops {
			s := op.Action + " " + op.Collection + "/" + op.RKey
			if op.Action != "delete" {
				var rec struct{ Text string }
				if err := json.Unmarshal(op.Record, &rec); err != nil || op.CID == "" {
					t.Fatalf("op %s: record %s, cid %q", s, op.Record, op.CID)
				}
				s += " " + rec.Text
			}
			got = append(got, s)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
