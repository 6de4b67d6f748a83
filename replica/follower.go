package replica

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mst"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Follower keeps one replica in step with its primary. It owns the loop
// and the cursor; only its goroutine touches the tree it caches.
type Follower struct {
	m   *Manager
	did syntax.DID
	pr  primary

	tree     *mst.Tree // the replica's tree at treeHead, nil when unknown
	treeHead cid.CID
	next     *mst.Tree // the tree commitOnto built

	mu        sync.Mutex
	st        State
	pubKey    keys.PublicKey
	lastErr   string
	lastApply time.Time
	lag       time.Duration // primary's event time to applied, last commit
	primaryOK string        // the primary's last #account status of the DID
	savedAt   time.Time

	cancel context.CancelFunc
	done   chan struct{}
}

func (f *Follower) key() keys.PublicKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pubKey
}

// refreshKey reads the DID's #atproto key afresh.
func (f *Follower) refreshKey(ctx context.Context) error {
	st, err := f.m.d.Inspect.InspectDID(ctx, f.did)
	if err != nil {
		return rhizome.Errorf("read replica key", rhizome.KindOf(err), "resolve %s: %w", f.did, err)
	}
	if st.SigningKey == nil {
		return rhizome.Errorf("read replica key", rhizome.Invalid, "%s names no #atproto key", f.did)
	}
	f.mu.Lock()
	f.pubKey = st.SigningKey
	f.mu.Unlock()
	return nil
}

func (f *Follower) state() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

func (f *Follower) cursor() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st.Cursor
}

// advance records seq as applied, saving the state at most every
// 250 ms unless now is set (events of the replica's DID).
func (f *Follower) advance(seq int64, now bool) {
	f.mu.Lock()
	if seq > f.st.Cursor {
		f.st.Cursor = seq
	}
	due := now || time.Since(f.savedAt) > 250*time.Millisecond
	st := f.st
	if due {
		f.savedAt = time.Now()
	}
	f.mu.Unlock()
	if due {
		if err := f.m.dir.save(st); err != nil {
			f.m.log.Warn("replica: saving the cursor failed", "did", f.did, "err", err)
		}
	}
}

func (f *Follower) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastErr = ""
	if err != nil {
		f.lastErr = err.Error()
	}
}

// run follows until ctx ends, reconnecting with back-off.
func (f *Follower) run(ctx context.Context) {
	defer close(f.done)
	wait := time.Second
	for {
		start := time.Now()
		err := f.follow(ctx)
		if ctx.Err() != nil {
			return
		}
		f.setErr(err)
		f.m.log.Warn("replica: following the primary stopped; retrying", "did", f.did, "primary", f.pr.base, "err", err, "in", wait)
		if time.Since(start) > time.Minute {
			wait = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// follow subscribes to the primary's firehose from the saved cursor and
// applies what concerns the DID until the stream or ctx ends.
func (f *Follower) follow(ctx context.Context) error {
	if err := f.refreshKey(ctx); err != nil {
		return err
	}
	cursor := f.cursor()
	conn, err := f.pr.subscribe(ctx, cursor)
	if err != nil {
		return err
	}
	defer conn.CloseNow()
	if err := f.catchUp(ctx, cursor); err != nil {
		return err
	}
	f.setErr(nil)
	for {
		_, frame, err := conn.Read(ctx)
		if err != nil {
			return rhizome.Errorf("follow primary", rhizome.Unavailable, "read the firehose of %s: %w", f.pr.base, err)
		}
		ev, err := decodeFrame(frame)
		if err != nil {
			return err
		}
		if err := f.handle(ctx, ev); err != nil {
			return err
		}
	}
}

// catchUp, on a fresh subscription without a cursor, fetches the
// repository if the primary's head is ahead of the replica's (commits
// made before the live tail began); and fetches blobs the records
// reference that the replica lacks.
func (f *Follower) catchUp(ctx context.Context, cursor int64) error {
	if cursor == 0 {
		rev, err := f.pr.latest(ctx, f.did)
		if err != nil {
			return err
		}
		h, err := f.m.d.PDS.Store().Head(ctx, f.did)
		if err != nil {
			return err
		}
		if rev > h.Rev {
			return f.resync(ctx)
		}
	}
	return f.fetchAllBlobs(ctx)
}

// handle applies one event.
func (f *Follower) handle(ctx context.Context, ev event) error {
	switch {
	case ev.typ == "error":
		if strings.HasPrefix(ev.name, "FutureCursor") {
			f.mu.Lock()
			f.st.Cursor = 0 // the primary lost events we saw: start from the live tail and check the head
			f.mu.Unlock()
		}
		return rhizome.Errorf("follow primary", rhizome.Unavailable, "the primary's firehose: %s", ev.name)
	case ev.typ == "#info" && ev.name == "OutdatedCursor":
		f.m.log.Info("replica: the cursor is older than the primary keeps; fetching the repository", "did", f.did)
		return f.resync(ctx)
	case ev.did != f.did:
		f.advance(ev.seq, false)
		return nil
	}
	var err error
	switch ev.typ {
	case "#commit":
		err = f.applyCommit(ctx, ev.commit, ev.since)
		if errors.Is(err, errResync) {
			err = f.resync(ctx)
		}
		if err == nil {
			f.noteApplied(ev)
		}
	case "#sync":
		err = f.resync(ctx)
	case "#identity":
		err = f.refreshKey(ctx)
	case "#account":
		f.mu.Lock()
		f.primaryOK = ev.status
		if ev.active {
			f.primaryOK = "active"
		}
		f.mu.Unlock()
	}
	if err != nil {
		return err
	}
	f.advance(ev.seq, true)
	return nil
}

func (f *Follower) noteApplied(ev event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastApply = time.Now()
	if t, err := time.Parse(time.RFC3339Nano, ev.time); err == nil {
		f.lag = f.lastApply.Sub(t)
	}
}

// stop ends the loop and waits for it.
func (f *Follower) stop() {
	if f.cancel != nil {
		f.cancel()
		<-f.done
	}
}
