package firehose

import (
	"context"
	"fmt"
	"math/rand"
	"strconv"
	"sync"
	"time"
)

// flaky is a consumer that drops its connection at random points (after a
// random number of frames, or at a random moment, perhaps mid-frame) and
// reconnects with cursor = the last seq it saw. It keeps reconnecting
// while the pod is down.
type flaky struct {
	addr string
	rng  *rand.Rand
	done chan struct{}

	mu       sync.Mutex
	frames   []*event
	sessions int
	err      error // a broken stream: a gap, a repeat, an undecodable frame
}

func startFlaky(ctx context.Context, addr string, seed int64) *flaky {
	fl := &flaky{addr: addr, rng: rand.New(rand.NewSource(seed)), done: make(chan struct{})}
	go fl.run(ctx)
	return fl
}

func (fl *flaky) run(ctx context.Context) {
	defer close(fl.done)
	for ctx.Err() == nil && fl.failed() == nil {
		s, _, err := subscribe(ctx, fl.addr, strconv.FormatInt(fl.last(), 10))
		if err != nil {
			time.Sleep(20 * time.Millisecond) // the pod is down or restarting
			continue
		}
		fl.session(ctx, s)
	}
}

// session reads a random number of frames, or for a random time, then
// drops the connection.
func (fl *flaky) session(ctx context.Context, s *stream) {
	defer s.close()
	fl.mu.Lock()
	fl.sessions++
	fl.mu.Unlock()
	n := 1 + fl.rng.Intn(60)
	rctx, cancel := context.WithTimeout(ctx, time.Duration(5+fl.rng.Intn(400))*time.Millisecond)
	defer cancel()
	for range n {
		_, b, err := s.conn.Read(rctx)
		if err != nil {
			return // cut by us, or the pod went away
		}
		e, err := decodeFrame(b)
		if err == nil {
			err = fl.add(e)
		}
		if err != nil {
			fl.fail(err)
			return
		}
	}
}

// add appends a frame, which must be the one after the last.
func (fl *flaky) add(e *event) error {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	var last int64
	if len(fl.frames) > 0 {
		last = fl.frames[len(fl.frames)-1].seq
	}
	if e.op != 1 || e.seq != last+1 {
		return fmt.Errorf("after seq %d (reconnected with cursor %d) came %s", last, last, e)
	}
	fl.frames = append(fl.frames, e)
	return nil
}

func (fl *flaky) last() int64 {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if len(fl.frames) == 0 {
		return 0
	}
	return fl.frames[len(fl.frames)-1].seq
}

func (fl *flaky) fail(err error) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.err == nil {
		fl.err = err
	}
}

func (fl *flaky) failed() error {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.err
}

// snapshot returns the frames so far and the number of sessions.
func (fl *flaky) snapshot() ([]*event, int) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return append([]*event(nil), fl.frames...), fl.sessions
}

// waitFor waits until the consumer has seen seq.
func (fl *flaky) waitFor(seq int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for fl.last() < seq {
		if err := fl.failed(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the reconnecting consumer is at seq %d after %v, want %d", fl.last(), timeout, seq)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fl.failed()
}
