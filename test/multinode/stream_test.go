package multinode

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/atdata"
	"github.com/coder/websocket"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// event is one frame of subscribeRepos as a follower saw it.
type event struct {
	seq                              int64
	typ                              string // "#commit", "#identity", …
	repo, rev, since, commit, errMsg string
	at                               time.Time // when it was read
	raw                              []byte    // the whole frame
}

// follower reads a node's subscribeRepos from the live tail on.
type follower struct {
	conn *websocket.Conn
	mu   sync.Mutex
	evs  []event
	err  error
	more chan struct{} // signalled after each event
}

func follow(t *testing.T, addr string) *follower {
	t.Helper()
	return followFrom(t, addr, "")
}

// followFrom reads a node's subscribeRepos from cursor ("" for the live
// tail).
func followFrom(t *testing.T, addr, cursor string) *follower {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	u := "ws://" + addr + "/xrpc/com.atproto.sync.subscribeRepos"
	if cursor != "" {
		u += "?cursor=" + cursor
	}
	conn, _, err := websocket.Dial(ctx, u,
		&websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		cancel()
		t.Fatalf("subscribe to %s: %v", addr, err)
	}
	conn.SetReadLimit(8 << 20)
	f := &follower{conn: conn, more: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() { defer close(done); f.run(ctx) }()
	t.Cleanup(func() { cancel(); conn.CloseNow(); <-done })
	return f
}

func (f *follower) run(ctx context.Context) {
	for {
		_, b, err := f.conn.Read(ctx)
		at := time.Now()
		var e event
		if err == nil {
			e, err = decodeFrame(b)
		}
		f.mu.Lock()
		if err != nil {
			f.err = err
		} else {
			e.at, e.raw = at, b
			f.evs = append(f.evs, e)
		}
		f.mu.Unlock()
		select {
		case f.more <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// waitFor waits until cond holds for the events read so far.
func (f *follower) waitFor(t *testing.T, within time.Duration, what string, cond func([]event) bool) []event {
	t.Helper()
	deadline := time.After(within)
	for {
		f.mu.Lock()
		evs, err := append([]event(nil), f.evs...), f.err
		f.mu.Unlock()
		if cond(evs) {
			return evs
		}
		if err != nil {
			t.Fatalf("the stream ended before %s: %v", what, err)
		}
		select {
		case <-f.more:
		case <-deadline:
			t.Fatalf("no %s within %v (%d events read)", what, within, len(evs))
		}
	}
}

// decodeFrame reads a frame's header and the fields of its body the
// tests look at.
func decodeFrame(b []byte) (event, error) {
	r := bytes.NewReader(b)
	op, typ, err := frameHeader(r)
	if err != nil {
		return event{}, fmt.Errorf("frame header: %w", err)
	}
	body, err := atdata.UnmarshalCBOR(b[len(b)-r.Len():])
	if err != nil {
		return event{}, fmt.Errorf("frame body: %w", err)
	}
	if op != 1 {
		return event{}, fmt.Errorf("error frame: %v", body)
	}
	e := event{typ: typ}
	e.seq, _ = body["seq"].(int64)
	e.repo, _ = body["repo"].(string)
	if e.repo == "" {
		e.repo, _ = body["did"].(string)
	}
	e.rev, _ = body["rev"].(string)
	e.since, _ = body["since"].(string)
	if l, ok := body["commit"].(atdata.CIDLink); ok {
		e.commit = l.String()
	}
	return e, nil
}

// frameHeader reads the header map {op, t}.
func frameHeader(r *bytes.Reader) (op int64, typ string, err error) {
	cr := cbg.NewCborReader(r)
	maj, n, err := cr.ReadHeader()
	if err != nil || maj != cbg.MajMap {
		return 0, "", fmt.Errorf("not a map (%v)", err)
	}
	for range n {
		k, err := cbg.ReadString(cr)
		if err != nil {
			return 0, "", err
		}
		switch k {
		case "t":
			if typ, err = cbg.ReadString(cr); err != nil {
				return 0, "", err
			}
		case "op":
			maj, v, err := cr.ReadHeader()
			if err != nil {
				return 0, "", err
			}
			op = int64(v)
			if maj == cbg.MajNegativeInt {
				op = -1 - int64(v)
			}
		default:
			return 0, "", fmt.Errorf("unknown header key %q", k)
		}
	}
	return op, typ, nil
}
