package replica

import (
	"context"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// checkGoLive replays the promoted pod's firehose: the replica was silent,
// so the DID's first events are the promotion's #identity, #account
// active and #sync, in that order.
func checkGoLive(t *testing.T, b *node, did string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+b.Addr+"/xrpc/com.atproto.sync.subscribeRepos?cursor=0", nil)
	if err != nil {
		t.Fatalf("subscribe to the promoted pod: %v", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(8 << 20)
	var got []string
	for len(got) < 3 {
		_, frame, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("read the promoted pod's firehose (so far %v): %v", got, err)
		}
		f := podtest.DecodeFrame(t, frame)
		typ, body := f.Type, f.Body
		if body["repo"] != did && body["did"] != did {
			continue
		}
		if typ == "#account" && body["active"] != true {
			typ += "(inactive)"
		}
		got = append(got, typ)
	}
	if got[0] != "#identity" || got[1] != "#account" || got[2] != "#sync" {
		t.Fatalf("the promoted pod's first events of %s are %v; want [#identity #account #sync]", did, got)
	}
}
