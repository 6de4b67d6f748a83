package grants

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestGrants_RecordsStreamNarrowed shows an app's live view follows its
// grant: asking for every collection, it receives only the granted one.
func TestGrants_RecordsStreamNarrowed(t *testing.T) {
	p := newPod(t)
	c := podtest.NewClient(p)
	defer c.Close()
	a := createAccount(t, c, "fay")
	s := grant(t, p, a, "atproto repo:app.example.todo?action=create")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := "/xrpc/dev.rhizome.sync.subscribeRecords"
	h, err := s.Headers("GET", path)
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"collection": {"*"}, "cursor": {"0"}}
	conn, _, err := websocket.Dial(ctx, "ws://"+p.Addr+path+"?"+q.Encode(), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial with the grant: %v", err)
	}
	defer conn.CloseNow()
	for _, coll := range []string{"app.example.note", "app.example.todo", "app.example.note", "app.example.todo"} {
		c.MustCall(t, "com.atproto.repo.createRecord", a.access, map[string]any{"repo": a.did, "collection": coll, "record": record(coll)}, nil)
	}
	for got := 0; got < 2; {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("after %d todo records: %v", got, err)
		}
		var m struct {
			Error string
			Ops   []struct{ Collection string }
		}
		if err := json.Unmarshal(b, &m); err != nil || m.Error != "" {
			t.Fatalf("message %s: %v", b, err)
		}
		for _, op := range m.Ops {
			if op.Collection != "app.example.todo" {
				t.Fatalf("the stream carried %s, outside the grant", op.Collection)
			}
			got++
		}
	}
	_, resp, err := websocket.Dial(ctx, "ws://"+p.Addr+path+"?collection=app.example.note", &websocket.DialOptions{HTTPHeader: mustHeaders(t, s.Headers)})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("asking only for a collection outside the grant: %v (response %v), want 403", err, resp)
	}
}

func mustHeaders(t *testing.T, f func(string, string) (http.Header, error)) http.Header {
	h, err := f("GET", "/xrpc/dev.rhizome.sync.subscribeRecords")
	if err != nil {
		t.Fatal(err)
	}
	return h
}
