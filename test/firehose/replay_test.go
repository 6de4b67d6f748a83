package firehose

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestFirehose_Replay runs a consumer that drops its connection at random
// points and reconnects with cursor = the last seq it saw, and requires it
// to end with exactly the frames (seq, type, bytes) of a consumer that
// never disconnected: first on one pod, then across a graceful restart
// and across a SIGKILL, each with writes in flight. After every restart
// the whole log, read again from cursor 0, must hold every frame any
// consumer saw before, byte for byte (so no seq was lost or reused), and
// must verify from the first event to the last.
func TestFirehose_Replay(t *testing.T) {
	seed := testSeed(t)
	r := &replayRun{t: t, bin: podBinary(t), dir: t.TempDir(), addr: freeAddr(t),
		rng: rand.New(rand.NewSource(seed)), seen: map[int64]*event{}}
	r.p = startPod(t, r.bin, r.dir, r.addr)
	t.Cleanup(func() { stopPod(t, r.p) })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r.c = newClient(r.p)
	for i := range numAccounts {
		r.accts = append(r.accts, createAccount(t, r.c, fmt.Sprintf("replay%d", i)))
	}
	fl := startFlaky(ctx, r.addr, seed+100)

	ref := r.collect(ctx)
	r.write(ctx, seed+1, 800)
	refLog := r.untilHeads(ref)
	r.caughtUp(fl, refLog, "on the first pod")

	r.interrupted(ctx, seed+2, "SIGTERM", r.p.Stop)
	r.seeFlaky(fl)
	if err := ref.f.ended(10 * time.Second); closeStatus(err) != websocket.StatusGoingAway {
		t.Errorf("the stream did not end with a going-away close when the pod stopped: %v", err)
	}
	ref.f.mu.Lock()
	for _, e := range ref.evs { // including what came while the pod was stopping
		r.see(e)
	}
	ref.f.mu.Unlock()
	r.restart()
	r.caughtUp(fl, r.readLog(ctx), "after a graceful restart")

	r.interrupted(ctx, seed+3, "SIGKILL", r.p.Kill)
	r.seeFlaky(fl)
	r.restart()
	before := r.maxSeen()
	afterKill := r.readLog(ctx)
	if last := afterKill[len(afterKill)-1].seq; last < before {
		t.Errorf("after the SIGKILL the log ends at seq %d; consumers had seen up to %d", last, before)
	}
	r.write(ctx, seed+4, 100)
	final := r.readLog(ctx)
	r.caughtUp(fl, final, "after a SIGKILL")
	if len(final) <= len(afterKill) {
		t.Errorf("writes after the SIGKILL added no events")
	}

	cancel()
	<-fl.done
	_, sessions := fl.snapshot()
	t.Logf("%d events in the final log; the reconnecting consumer used %d connections", len(final), sessions)
	if sessions < 10 {
		t.Errorf("the reconnecting consumer reconnected only %d times", sessions)
	}
}

// replayRun is the state of TestFirehose_Replay across pod restarts.
type replayRun struct {
	t              *testing.T
	bin, dir, addr string
	rng            *rand.Rand
	p              *pod
	c              *client
	accts          []account
	seen           map[int64]*event // every frame a consumer has seen, by seq
}

func (r *replayRun) collect(ctx context.Context) *collector {
	r.t.Helper()
	return newCollector(r.t, ctx, r.p, "0")
}

// untilHeads waits until the collector has reached every repository's
// head, records what it saw and returns it; the collector keeps running.
func (r *replayRun) untilHeads(col *collector) []*event {
	r.t.Helper()
	heads := map[string]string{}
	for _, a := range r.accts {
		heads[a.did] = latestCommit(r.t, r.c, a.did).Rev
	}
	var evs []*event
	col.f.wait(r.t, time.Minute, "the stream to reach the heads", func() bool {
		for did, rev := range heads {
			if ch := col.chk.repos[did]; ch == nil || ch.rev != rev {
				return false
			}
		}
		evs = append(evs, col.evs...)
		return true
	})
	for _, e := range evs {
		r.see(e)
	}
	return evs
}

// readLog reads the whole log from cursor 0 up to the heads.
func (r *replayRun) readLog(ctx context.Context) []*event {
	r.t.Helper()
	col := r.collect(ctx)
	evs := r.untilHeads(col)
	if err := col.f.stop(); err != nil {
		r.t.Fatalf("reading the log from cursor 0: %v", err)
	}
	return evs
}

// see records a frame a consumer saw; a seq seen before must carry the
// same bytes.
func (r *replayRun) see(e *event) {
	if old := r.seen[e.seq]; old != nil && !bytes.Equal(old.raw, e.raw) {
		r.t.Errorf("seq %d changed: first seen as %s (%d bytes), now %s (%d bytes)", e.seq, old.typ, len(old.raw), e.typ, len(e.raw))
	}
	r.seen[e.seq] = e
}

// seeFlaky records what the reconnecting consumer has seen so far.
func (r *replayRun) seeFlaky(fl *flaky) {
	got, _ := fl.snapshot()
	for _, e := range got {
		r.see(e)
	}
}

func (r *replayRun) maxSeen() int64 {
	var m int64
	for s := range r.seen {
		m = max(m, s)
	}
	return m
}

// write runs writers to completion; every write must succeed.
func (r *replayRun) write(ctx context.Context, seed int64, total int) {
	r.t.Helper()
	_, wait := startWriters(ctx, r.c, r.accts, seed, total)
	for _, err := range wait() {
		if err != nil {
			r.t.Fatal(err)
		}
	}
}

// interrupted runs writers and stops the pod under them after a random
// delay; the writers end at their first failed request.
func (r *replayRun) interrupted(ctx context.Context, seed int64, how string, stop func()) {
	r.t.Helper()
	ws, wait := startWriters(ctx, r.c, r.accts, seed, 1<<30)
	delay := time.Duration(100+r.rng.Intn(400)) * time.Millisecond
	time.Sleep(delay)
	stop()
	wait()
	n := 0
	for _, w := range ws {
		n += w.req
	}
	r.t.Logf("%s after %v with %d write requests made", how, delay, n)
	if n <= len(ws) {
		r.t.Errorf("no write completed before the %s", how)
	}
}

// restart starts the pod again on the same data folder and address.
func (r *replayRun) restart() {
	r.t.Helper()
	r.c.Close()
	r.p = startPod(r.t, r.bin, r.dir, r.addr)
	r.c = newClient(r.p)
}

// caughtUp waits until the reconnecting consumer has reached the end of
// log and requires it to have seen exactly log.
func (r *replayRun) caughtUp(fl *flaky, log []*event, when string) {
	r.t.Helper()
	if err := fl.waitFor(log[len(log)-1].seq, time.Minute); err != nil {
		r.t.Fatalf("%s: %v", when, err)
	}
	r.seeFlaky(fl)
	got, sessions := fl.snapshot()
	if !sameFrames(r.t, got[:min(len(got), len(log))], log) || len(got) != len(log) {
		r.t.Fatalf("%s: the reconnecting consumer saw %d frames, the log has %d", when, len(got), len(log))
	}
	r.t.Logf("%s: the reconnecting consumer saw the same %d frames in %d connections", when, len(log), sessions)
}

// sameFrames reports the first difference between two frame sequences.
func sameFrames(t testing.TB, got, want []*event) bool {
	t.Helper()
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.seq != w.seq || g.typ != w.typ || !bytes.Equal(g.raw, w.raw) {
			t.Errorf("frame %d: got seq %d %s (%d bytes), want seq %d %s (%d bytes)", i, g.seq, g.typ, len(g.raw), w.seq, w.typ, len(w.raw))
			return false
		}
	}
	return len(got) == len(want)
}
