package identity

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// event is one subscribeRepos frame: its type and body.
type event struct {
	typ  string
	body map[string]any
}

// eventsOf replays p's firehose from the start and returns the types of
// the events about did, stopping after the first one of type last.
func eventsOf(t *testing.T, p *podtest.Pod, did, last string) []event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+p.Addr+"/xrpc/com.atproto.sync.subscribeRepos?cursor=0", nil)
	must(t, err, "subscribe to pod B's firehose")
	defer conn.CloseNow()
	conn.SetReadLimit(8 << 20)
	var out []event
	for {
		_, frame, err := conn.Read(ctx)
		must(t, err, "read the firehose (events so far: %v)", types(out))
		ev := decodeFrame(t, frame)
		if ev.body["repo"] != did && ev.body["did"] != did {
			continue
		}
		out = append(out, ev)
		if ev.typ == last {
			return out
		}
	}
}

func decodeFrame(t *testing.T, frame []byte) event {
	f := podtest.DecodeFrame(t, frame)
	return event{typ: f.Type, body: f.Body}
}

func types(evs []event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.typ)
	}
	return out
}

// checkEvents: pod B announced the account as a new one would be
// (#identity, #account active, the genesis #commit) and then the import
// (#sync at the repository's current rev).
func checkEvents(t *testing.T, b *podtest.Pod, did string) {
	t.Helper()
	evs := eventsOf(t, b, did, "#sync")
	if got, want := types(evs), []string{"#identity", "#account", "#commit", "#sync"}; !slices.Equal(got, want) {
		t.Fatalf("pod B's events about %s: %v; want %v", did, got, want)
	}
	if evs[1].body["active"] != true {
		t.Errorf("#account: %v; want active", evs[1].body)
	}
	var head struct{ Rev string }
	podtest.NewClient(b).MustQuery(t, "com.atproto.sync.getLatestCommit", map[string][]string{"did": {did}}, &head)
	if evs[3].body["rev"] != head.Rev {
		t.Errorf("#sync rev %v; the repository is at %s", evs[3].body["rev"], head.Rev)
	}
}
