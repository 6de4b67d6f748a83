package firehose

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestFirehose_Cursors covers the cursor parameter: 0 replays from the
// first event, a cursor inside the log from the event after it, the head
// from the next new event, no cursor from the live head; a cursor beyond
// the last event is a FutureCursor error frame and a close; a malformed
// one an XRPC error before the upgrade.
func TestFirehose_Cursors(t *testing.T) {
	p := newPod(t)
	c := newClient(p)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := createAccount(t, c, "cursor0")
	for i := range 5 {
		createRecordAt(t, c, a, fmt.Sprintf("r%d", i))
	}
	log := readUntil(t, ctx, p, c, a.did)
	last := log[len(log)-1].seq

	t.Run("zero replays from the first event", func(t *testing.T) {
		if len(log) != 8 || log[0].seq != 1 || log[0].typ != "#identity" {
			t.Fatalf("from cursor 0: %d events starting with %s; want 8 (identity, account, genesis, 5 commits) from 1 #identity", len(log), log[0])
		}
	})
	t.Run("inside the log replays from the next event", func(t *testing.T) {
		for _, k := range []int64{1, 3, last - 1} {
			col := newCollector(t, ctx, p, strconv.FormatInt(k, 10))
			sameFrames(t, col.take(t, 0, int(last-k)), log[k:])
			col.f.stop()
		}
	})
	t.Run("future cursor", func(t *testing.T) {
		for _, cur := range []int64{last + 1, last + 1000, math.MaxInt64} {
			futureCursor(t, ctx, p, cur)
		}
	})
	t.Run("malformed cursor", func(t *testing.T) {
		for _, cur := range []string{"-1", "abc", "1.5", "0x10", "+", "1e3", "99999999999999999999", " 1"} {
			malformedCursor(t, ctx, c, p, cur)
		}
	})
	t.Run("the head waits for the next event", func(t *testing.T) {
		head := readUntil(t, ctx, p, c, a.did)
		col := newCollector(t, ctx, p, strconv.FormatInt(head[len(head)-1].seq, 10))
		defer col.f.stop()
		time.Sleep(200 * time.Millisecond)
		if n := col.count(); n != 0 {
			t.Fatalf("a subscriber at the head got %d events with nothing written", n)
		}
		rev := createRecordAt(t, c, a, "at-head")
		e := col.take(t, 0, 1)[0]
		if e.seq != head[len(head)-1].seq+1 || e.commit == nil || e.commit.Rev != rev {
			t.Errorf("after the head came %s; want seq %d, the #commit of rev %s", e, head[len(head)-1].seq+1, rev)
		}
	})
	t.Run("no cursor follows the live head", func(t *testing.T) {
		before := readUntil(t, ctx, p, c, a.did)
		col := newCollector(t, ctx, p, "")
		defer col.f.stop()
		revs := map[string]bool{}
		for i := 0; col.count() == 0 && i < 50; i++ {
			revs[createRecordAt(t, c, a, fmt.Sprintf("live%d", i))] = true
			time.Sleep(50 * time.Millisecond)
		}
		e := col.take(t, 0, 1)[0]
		if e.seq <= before[len(before)-1].seq || e.commit == nil || !revs[e.commit.Rev] {
			t.Errorf("without a cursor the first event was %s; want a #commit written after subscribing (seq > %d)", e, before[len(before)-1].seq)
		}
	})
}

// createRecordAt creates a record with a given rkey and returns the rev of
// its commit.
func createRecordAt(t testing.TB, c *client, a account, rkey string) string {
	t.Helper()
	coll := collections[0]
	in := map[string]any{"repo": a.did, "collection": coll, "rkey": rkey, "record": map[string]any{"$type": coll, "text": rkey}}
	var out writeOut
	c.MustCall(t, "com.atproto.repo.createRecord", a.access, in, &out)
	if out.Commit == nil {
		t.Fatalf("createRecord %s: no commit in %+v", rkey, out)
	}
	return out.Commit.Rev
}

// readUntil reads the stream from cursor 0 until the account's repository
// is at its head and returns the events.
func readUntil(t testing.TB, ctx context.Context, p *pod, c *client, did string) []*event {
	t.Helper()
	rev := latestCommit(t, c, did).Rev
	col := newCollector(t, ctx, p, "0")
	var evs []*event
	col.f.wait(t, 30*time.Second, "the stream to reach the head", func() bool {
		if ch := col.chk.repos[did]; ch == nil || ch.rev != rev {
			return false
		}
		evs = append(evs, col.evs...)
		return true
	})
	if err := col.f.stop(); err != nil {
		t.Fatal(err)
	}
	return evs
}

// futureCursor requires an error frame FutureCursor, then a close.
func futureCursor(t *testing.T, ctx context.Context, p *pod, cursor int64) {
	t.Helper()
	s, _, err := subscribe(ctx, p.Addr, strconv.FormatInt(cursor, 10))
	if err != nil {
		t.Fatalf("cursor %d: %v", cursor, err)
	}
	defer s.close()
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	e, err := s.next(rctx)
	if err != nil {
		t.Fatalf("cursor %d: no error frame: %v", cursor, err)
	}
	if e.op != -1 || e.errName != "FutureCursor" || e.errMsg == "" {
		t.Errorf("cursor %d: first frame is %s (op %d); want an error frame FutureCursor with a message", cursor, e, e.op)
	}
	_, err = s.next(rctx)
	if closeStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("cursor %d: after the error frame came %v; want a close (policy violation)", cursor, err)
	}
}

// malformedCursor requires a 400 InvalidRequest XRPC error, both to a
// plain GET and to a WebSocket handshake.
func malformedCursor(t *testing.T, ctx context.Context, c *client, p *pod, cursor string) {
	t.Helper()
	r, err := c.Do(ctx, http.MethodGet, "com.atproto.sync.subscribeRepos", url.Values{"cursor": {cursor}}, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	switch {
	case r.Status != http.StatusBadRequest:
		t.Errorf("cursor %q: %s; want 400", cursor, r)
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		t.Errorf("cursor %q: Content-Type %q", cursor, r.Header.Get("Content-Type"))
	case dec.Decode(&body) != nil || body["error"] != "InvalidRequest" || len(body) != 2:
		t.Errorf("cursor %q: body %s is not {error: InvalidRequest, message}", cursor, r.Body)
	default:
		if m, _ := body["message"].(string); m == "" {
			t.Errorf("cursor %q: error has no message: %s", cursor, r.Body)
		}
	}
	s, resp, err := subscribe(ctx, p.Addr, url.QueryEscape(cursor))
	if err == nil {
		s.close()
		t.Errorf("cursor %q: the WebSocket upgrade succeeded", cursor)
	} else if resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("cursor %q: handshake failed with %v; want HTTP 400", cursor, err)
	}
}
