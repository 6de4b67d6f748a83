package loadtest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// Phase is the outcome of one timed phase.
type Phase struct {
	Name       string        // "createRecord", "getRecord", "listRecords(100)", "applyWrites(10)", "getRepo"
	Ops        int           // calls made (fewer than planned when the phase stopped early)
	Errors     int           // calls that failed
	FirstError string        // the first failure, with the server's XRPC error body
	Seconds    float64       // wall time of the timed calls
	OpsPerSec  float64       // successful calls per second
	P50        time.Duration // latency percentiles (nearest rank) of successful calls
	P90        time.Duration
	P99        time.Duration
	Max        time.Duration
	// ServerCPUSeconds is the server's user+system CPU time over the phase;
	// negative when not measured (no PID).
	ServerCPUSeconds float64
}

// OK is the number of successful calls.
func (p Phase) OK() int { return p.Ops - p.Errors }

// op is one call of a phase: worker is the client's index, i the call's
// index (negative for warmup calls).
type op func(ctx context.Context, worker, i int) error

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted samples: the smallest sample with at least p% of the samples at or
// below it. It returns 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	idx := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(len(sorted)-1, max(0, idx))]
}

// summarize fills the latency fields of p from unsorted samples.
func (p *Phase) summarize(lat []time.Duration, elapsed time.Duration) {
	slices.Sort(lat)
	p.Seconds = elapsed.Seconds()
	if p.Seconds > 0 {
		p.OpsPerSec = float64(len(lat)) / p.Seconds
	}
	p.P50, p.P90, p.P99 = Percentile(lat, 50), Percentile(lat, 90), Percentile(lat, 99)
	if len(lat) > 0 {
		p.Max = lat[len(lat)-1]
	}
}

// tally collects the outcomes of a phase's calls from many workers.
type tally struct {
	next, done, errors atomic.Int64
	mu                 sync.Mutex
	first              error
	lat                [][]time.Duration // per worker
}

func (t *tally) fail(err error) int64 {
	t.mu.Lock()
	if t.first == nil {
		t.first = err
	}
	t.mu.Unlock()
	return t.errors.Add(1)
}

// runPhase runs warmup calls, then total timed calls of fn spread over the
// clients. A phase in which more than 1% of calls fail stops early and
// returns an error naming the first failure.
func (r *runner) runPhase(ctx context.Context, name string, total int, fn op) (Phase, error) {
	r.warmup(ctx, fn)
	ph := Phase{Name: name, Ops: total, ServerCPUSeconds: -1}
	t := &tally{lat: make([][]time.Duration, r.cfg.Concurrency)}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := r.live(name, total, &t.done)
	cpu0 := r.serverCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range r.cfg.Concurrency {
		wg.Go(func() { r.work(pctx, cancel, w, total, fn, t) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	stop()
	if cpu0 >= 0 {
		ph.ServerCPUSeconds = r.serverCPU() - cpu0
	}
	return r.finish(ctx, ph, t, elapsed)
}

// work is one client's loop: take the next call index until none are left.
func (r *runner) work(ctx context.Context, abort func(), w, total int, fn op, t *tally) {
	allowed := int64(total / 100)
	for ctx.Err() == nil {
		i := int(t.next.Add(1) - 1)
		if i >= total {
			return
		}
		s := time.Now()
		err := fn(ctx, w, i)
		d := time.Since(s)
		t.done.Add(1)
		if err == nil {
			t.lat[w] = append(t.lat[w], d)
		} else if t.fail(err) > allowed {
			abort()
		}
	}
}

// finish turns a tally into a Phase and decides whether the run goes on.
func (r *runner) finish(ctx context.Context, ph Phase, t *tally, elapsed time.Duration) (Phase, error) {
	var lat []time.Duration
	for _, l := range t.lat {
		lat = append(lat, l...)
	}
	planned := ph.Ops
	ph.summarize(lat, elapsed)
	ph.Ops, ph.Errors = int(t.done.Load()), int(t.errors.Load())
	if t.first != nil {
		ph.FirstError = clip(t.first.Error(), 500)
	}
	r.logf("%s: %s", ph.Name, ph.summary())
	if err := ctx.Err(); err != nil {
		return ph, err
	}
	if ph.Errors*100 > planned {
		return ph, rhizome.Errorf("run "+ph.Name, rhizome.Other, "%d of %d calls failed (more than 1%%), stopped; first: %s", ph.Errors, ph.Ops, ph.FirstError)
	}
	return ph, nil
}

// warmup makes Config.Warmup untimed calls, ignoring their errors.
func (r *runner) warmup(ctx context.Context, fn op) {
	n := r.cfg.Warmup
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range min(r.cfg.Concurrency, n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				fn(ctx, w, -1-i)
			}
		})
	}
	wg.Wait()
}

// summary is the one-line figures of a phase, for progress output.
func (p Phase) summary() string {
	s := fmt.Sprintf("%d ok, %d errors in %.2fs: %.1f ops/s, p50 %s p90 %s p99 %s max %s",
		p.OK(), p.Errors, p.Seconds, p.OpsPerSec, ms(p.P50), ms(p.P90), ms(p.P99), ms(p.Max))
	if p.ServerCPUSeconds >= 0 {
		s += fmt.Sprintf(", server CPU %.2fs", p.ServerCPUSeconds)
	}
	return s
}

// ms renders a duration as milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }
