package loadtest

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// The fanout phase: Subscribers follow the live firehose while commits are
// written at CommitRate for FanoutDuration, open loop (on a schedule, not
// when the previous call returns). Each subscriber measures delivery
// latency: the time it read an event minus the event's own time, which the
// server set when it built the commit (millisecond precision, so figures
// read up to 1 ms high; the server must be on this machine's clock).
const (
	slowPause         = 100 * time.Millisecond // a slow subscriber's wait before each read
	maxWritesInFlight = 256                    // beyond this, due writes are skipped and counted
	settleQuiet       = time.Second            // no new event for this long: the stream has settled
	settleTimeout     = 30 * time.Second
	warmupTimeout     = 30 * time.Second
	slowDrainTimeout  = 15 * time.Second
)

// fanoutPhase connects the subscribers, proves each live, writes at the
// target rate, waits for the stream to settle and sums up.
func (r *runner) fanoutPhase(ctx context.Context, rep *Report) (Phase, error) {
	n, k := r.cfg.Subscribers, r.cfg.SlowSubscribers
	f := &Fanout{Subscribers: n, SlowSubscribers: k, TargetRate: r.cfg.CommitRate}
	var err error
	if f.FileLimit, err = raiseFileLimit(uint64(n + k + fileHeadroom)); err != nil {
		return Phase{}, err
	}
	hc := streamClient()
	defer hc.CloseIdleConnections()
	from := new(atomic.Int64) // nothing counts until the warmup is over
	from.Store(math.MaxInt64)
	r.logf("fanout: connecting %d subscribers and %d slow ones (open-file limit %d)", n, k, f.FileLimit)
	subs, err := subscribeAll(ctx, hc, r.cfg.URL, n, from, 0, r.dialProgress(n))
	if err != nil {
		return Phase{}, err
	}
	defer stopAll(subs)
	slow, err := subscribeAll(ctx, hc, r.cfg.URL, k, from, slowPause, nil)
	if err != nil {
		return Phase{}, err
	}
	defer stopAll(slow)
	start, err := r.streamWarmup(ctx, slices.Concat(subs, slow), r.accounts[0])
	if err != nil {
		return Phase{}, err
	}
	from.Store(start)
	rep.Fanout = f
	writes, delivery, err := r.measureFanout(ctx, f, subs, slow, start)
	rep.Phases = append(rep.Phases, writes)
	return delivery, err
}

// measureFanout runs the timed writes, fills f and returns the two table
// rows of the phase.
func (r *runner) measureFanout(ctx context.Context, f *Fanout, subs, slow []*subscriber, start int64) (writes, delivery Phase, err error) {
	mem := startMemPeak(r.cfg.PID)
	cpu0, ccpu0 := r.serverCPU(), procCPUSeconds(os.Getpid())
	r.logf("fanout: writing %.0f commits/s for %s to %d subscribers", r.cfg.CommitRate, r.cfg.FanoutDuration, len(subs))
	w := r.writeAtRate(ctx)
	slowSeen := snapshotSlow(slow)
	end, settled := settle(ctx, subs, settleQuiet, settleTimeout)
	if !settled {
		r.logf("fanout: subscribers still behind %s after the writes; the events they lack count as lost", settleTimeout)
	}
	stopAll(subs)
	f.Slow = drainSlow(ctx, slow, slowSeen, end)
	f.ServerPeakRSSMB, f.ClientPeakRSSMB = mem.stop()
	if cpu0 >= 0 {
		cpu := round(r.serverCPU()-cpu0, 2)
		f.ServerCPUSeconds = &cpu
	}
	f.ClientCPUSeconds = round(procCPUSeconds(os.Getpid())-ccpu0, 2)
	f.ServerRSSMB = round(rssKB(r.cfg.PID)/1024, 1)
	f.ClientRSSMB = round(rssKB(os.Getpid())/1024, 1)
	// On a server nobody else writes to, every commit is one event; when
	// every subscriber lags, end-start undercounts.
	f.Events = max(end-start, int64(len(w.lat)))
	h := f.addWrites(w).addDeliveries(subs)
	writes, delivery = f.phases(w, h)
	r.logf("fanout: %s", f.summary())
	if ctx.Err() != nil {
		return writes, delivery, ctx.Err()
	}
	if w.errors*100 > w.issued {
		err = rhizome.Errorf("run fanout", rhizome.Other, "%d of %d writes failed (more than 1%%); first: %s", w.errors, w.issued, f.FirstError)
	}
	return writes, delivery, err
}

// dialProgress logs every 250 subscribers connected.
func (r *runner) dialProgress(total int) func(int) {
	return func(done int) {
		if done%250 == 0 && done < total {
			r.logf("  %d/%d subscribed", done, total)
		}
	}
}

// streamWarmup writes a record every 200 ms until every subscriber has
// read the same latest event, which proves each one is live, and returns
// that event's seq: the figures count events after it.
func (r *runner) streamWarmup(ctx context.Context, subs []*subscriber, a account) (int64, error) {
	deadline := time.Now().Add(warmupTimeout)
	for i := 0; time.Now().Before(deadline); i++ {
		if err := r.createPost(ctx, r.c, a, -1-i); err != nil {
			return 0, rhizome.E("warm up firehose", rhizome.Other, err)
		}
		wait := time.Now().Add(200 * time.Millisecond)
		for time.Now().Before(wait) {
			if seq, ok := allAt(subs); ok {
				return seq, nil
			}
			if s := firstGone(subs); s != nil {
				<-s.done
				return 0, rhizome.Errorf("warm up firehose", rhizome.Unavailable, "a subscriber was disconnected: %s", s.ending())
			}
			if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
				return 0, err
			}
		}
	}
	return 0, rhizome.Errorf("warm up firehose", rhizome.Unavailable, "subscribers saw no common event within %s: does the server stream %s?", warmupTimeout, subscribeNSID)
}

// allAt reports whether every subscriber has read at least one event and
// all stand at the same one.
func allAt(subs []*subscriber) (int64, bool) {
	seq := subs[0].last.Load()
	for _, s := range subs {
		if l := s.last.Load(); l == 0 || l != seq {
			return 0, false
		}
	}
	return seq, true
}

func firstGone(subs []*subscriber) *subscriber {
	for _, s := range subs {
		if s.gone.Load() {
			return s
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// settle waits until every connected subscriber stands at the newest event
// any has read and nothing new has come for quiet, or until timeout; it
// returns that newest seq and whether the subscribers settled.
func settle(ctx context.Context, subs []*subscriber, quiet, timeout time.Duration) (int64, bool) {
	deadline := time.Now().Add(timeout)
	for {
		now := time.Now()
		var newest int64
		idle, level := true, true
		for _, s := range subs {
			newest = max(newest, s.last.Load())
			idle = idle && (s.gone.Load() || s.idleFor(now) >= quiet)
		}
		for _, s := range subs {
			level = level && (s.gone.Load() || s.last.Load() == newest)
		}
		if idle && level {
			return newest, true
		}
		if now.After(deadline) || sleepCtx(ctx, 50*time.Millisecond) != nil {
			return newest, false
		}
	}
}

// writeResult is what the paced writes did.
type writeResult struct {
	mu                      sync.Mutex
	lat                     []time.Duration
	issued, errors, skipped int
	first                   error
	elapsed                 time.Duration
}

func (w *writeResult) record(d time.Duration, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		w.lat = append(w.lat, d)
		return
	}
	w.errors++
	if w.first == nil {
		w.first = err
	}
}

// dueBy is how many writes are due after elapsed at rate per second: the
// first at once, then one every 1/rate.
func dueBy(elapsed time.Duration, rate float64) int {
	return 1 + int(elapsed.Seconds()*rate)
}

// writeAtRate issues createRecord calls on schedule, each on the next
// bench account in turn. A call due while maxWritesInFlight are still
// unanswered is skipped and counted, so a slow server cannot stretch the
// schedule into a closed loop.
func (r *runner) writeAtRate(ctx context.Context) *writeResult {
	rate := r.cfg.CommitRate
	total := max(1, int(math.Round(rate*r.cfg.FanoutDuration.Seconds())))
	c := newClient(r.cfg.URL, maxWritesInFlight)
	defer c.close()
	w := &writeResult{lat: make([]time.Duration, 0, total)}
	var done atomic.Int64
	stop := r.live("fanout writes", total, &done)
	defer stop()
	sem := make(chan struct{}, maxWritesInFlight)
	var wg sync.WaitGroup
	tick := time.NewTicker(max(time.Millisecond, time.Duration(float64(time.Second)/rate)))
	defer tick.Stop()
	begin := time.Now()
	for next := 0; next < total && ctx.Err() == nil; {
		for due := min(total, dueBy(time.Since(begin), rate)); next < due; next++ {
			select {
			case sem <- struct{}{}:
				w.issued++
				i := next
				wg.Go(func() {
					defer func() { <-sem }()
					s := time.Now()
					err := r.createPost(ctx, c, r.acct(i), i)
					w.record(time.Since(s), err)
					done.Add(1)
				})
			default:
				w.skipped++
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	wg.Wait()
	w.elapsed = time.Since(begin)
	return w
}

// createPost is createRecord of a post into a's repository.
func (r *runner) createPost(ctx context.Context, c *client, a account, i int) error {
	_, err := c.do(ctx, request{method: http.MethodPost, nsid: "com.atproto.repo.createRecord", token: a.Token,
		body: map[string]any{"repo": a.DID, "collection": postCollection, "record": post(i)}})
	return err
}

// snapshotSlow is what each slow subscriber had read when the writes ended.
func snapshotSlow(slow []*subscriber) []SlowSubscriber {
	out := make([]SlowSubscriber, len(slow))
	for i, s := range slow {
		out[i] = SlowSubscriber{FramesRead: s.frames.Load(), lastSeq: s.last.Load()}
	}
	return out
}

// drainSlow lets each slow subscriber read the rest at full speed, so an
// error frame queued behind the frames it had not read yet is found, then
// reports whether the server disconnected it.
func drainSlow(ctx context.Context, slow []*subscriber, seen []SlowSubscriber, end int64) []SlowSubscriber {
	for i, s := range slow {
		s.pause.Store(0)
		seen[i].Behind = max(0, end-seen[i].lastSeq)
	}
	deadline := time.Now().Add(slowDrainTimeout)
	for _, s := range slow {
		for !s.gone.Load() && s.idleFor(time.Now()) < settleQuiet && time.Now().Before(deadline) {
			if sleepCtx(ctx, 20*time.Millisecond) != nil {
				break
			}
		}
	}
	for i, s := range slow {
		s.stop()
		seen[i].Disconnected, seen[i].Ending = s.gone.Load(), s.ending()
		seen[i].LastSeq, seen[i].EndSeq = s.last.Load(), end
	}
	return seen
}

// addWrites fills the write figures of f.
func (f *Fanout) addWrites(w *writeResult) *Fanout {
	f.Seconds = round(w.elapsed.Seconds(), 2)
	f.Commits, f.WriteErrors, f.Skipped = len(w.lat), w.errors, w.skipped
	if s := w.elapsed.Seconds(); s > 0 {
		f.CommitsPerSec = round(float64(f.Commits)/s, 1)
	}
	if w.first != nil {
		f.FirstError = clip(w.first.Error(), 500)
	}
	return f
}

// addDeliveries sums the normal subscribers (stopped) into f and returns
// their merged latency histogram.
func (f *Fanout) addDeliveries(subs []*subscriber) *histogram {
	var h histogram
	for _, s := range subs {
		h.merge(&s.hist)
		got := s.counted.Load()
		f.Delivered += got
		f.Untimed += s.untimed
		if got < f.Events {
			f.SubscribersLost++
			f.LostEvents += f.Events - got
		}
		if s.missing > 0 {
			f.SubscribersWithGaps++
		}
		if s.gone.Load() {
			f.Disconnected++
			f.FirstDisconnect = cmpOrString(f.FirstDisconnect, s.ending())
		}
		if s.badFrame != nil {
			f.BadFrame = cmpOrString(f.BadFrame, clip(s.badFrame.Error(), 300))
		}
	}
	if f.Seconds > 0 {
		f.DeliveredPerSec = round(float64(f.Delivered)/f.Seconds, 1)
	}
	f.P50MS, f.P90MS, f.P99MS = roundMS(h.percentile(50)), roundMS(h.percentile(90)), roundMS(h.percentile(99))
	f.MaxMS = roundMS(h.maxDuration())
	return &h
}

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// phases are the table rows of the phase: the paced writes, and the
// deliveries (ops: events × subscribers; errors: deliveries lost).
func (f *Fanout) phases(w *writeResult, h *histogram) (writes, delivery Phase) {
	writes = Phase{Name: "fanout writes", Ops: w.issued, Errors: w.errors, ServerCPUSeconds: -1}
	if w.first != nil {
		writes.FirstError = f.FirstError
	}
	writes.summarize(w.lat, w.elapsed)
	delivery = Phase{Name: "fanout delivery", Ops: int(f.Events) * f.Subscribers, Errors: int(f.LostEvents),
		Seconds: w.elapsed.Seconds(), OpsPerSec: f.DeliveredPerSec, P50: h.percentile(50), P90: h.percentile(90),
		P99: h.percentile(99), Max: h.maxDuration(), ServerCPUSeconds: -1}
	if f.ServerCPUSeconds != nil {
		delivery.ServerCPUSeconds = *f.ServerCPUSeconds
	}
	return writes, delivery
}

// summary is the one-line figures of the phase, for progress output.
func (f *Fanout) summary() string {
	return fmt.Sprintf("%d commits (%.1f/s), %d events to %d subscribers: %d delivered, p50 %.2fms p90 %.2fms p99 %.2fms max %.2fms; %d lost events, %d disconnected",
		f.Commits, f.CommitsPerSec, f.Events, f.Subscribers, f.Delivered, f.P50MS, f.P90MS, f.P99MS, f.MaxMS, f.LostEvents, f.Disconnected)
}
