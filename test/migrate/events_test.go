package migrate

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// event is one subscribeRepos frame about the account.
type event struct {
	typ  string
	body map[string]any
}

func (e event) String() string {
	switch e.typ {
	case "#account":
		return fmt.Sprintf("#account(active=%v %v)", e.body["active"], e.body["status"])
	case "#commit":
		ops, _ := e.body["ops"].([]any)
		return fmt.Sprintf("#commit(%d ops)", len(ops))
	}
	return e.typ
}

// eventsUntilLive replays p's firehose from cursor 0 and returns the
// events about did up to the first #sync or #commit that follows an
// #account active.
func eventsUntilLive(t *testing.T, p *podtest.Pod, did string) []event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+p.Addr+"/xrpc/com.atproto.sync.subscribeRepos?cursor=0", nil)
	if err != nil {
		t.Fatalf("subscribe to pod B's firehose: %v", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(8 << 20)
	var out []event
	live := false
	for {
		_, frame, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("read pod B's firehose (events so far: %v): %v", out, err)
		}
		ev := decodeFrame(t, frame)
		if ev.body["repo"] != did && ev.body["did"] != did {
			continue
		}
		out = append(out, ev)
		switch {
		case ev.typ == "#account" && ev.body["active"] == true:
			live = true
		case live && (ev.typ == "#sync" || ev.typ == "#commit"):
			return out
		}
	}
}

func decodeFrame(t *testing.T, frame []byte) event {
	f := podtest.DecodeFrame(t, frame)
	return event{typ: f.Type, body: f.Body}
}
