package loadtest

import (
	"context"
	"math"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// The drain phase: one subscriber follows the live firehose while a bulk
// import (sequential applyWrites batches of bulkBatch creates into one
// fresh repository) runs; afterwards a fresh subscriber replays the whole
// retained log from cursor 0 up to the import's last event as fast as it
// can read it (on a fresh server: every event of this run).
const (
	drainCatchUpTimeout = 30 * time.Second
	replayTimeout       = 5 * time.Minute
)

// drainPhase measures the live subscriber during the import, then the
// replay. It adds no table row: its figures are Report.Drain.
func (r *runner) drainPhase(ctx context.Context, rep *Report) (Phase, error) {
	hc := streamClient()
	defer hc.CloseIdleConnections()
	big, err := r.createAccount(ctx)
	if err != nil {
		return Phase{}, err
	}
	from := new(atomic.Int64)
	from.Store(math.MaxInt64)
	live, err := subscribe(ctx, hc, r.cfg.URL, nil, from, 0)
	if err != nil {
		return Phase{}, err
	}
	defer live.stop()
	start, err := r.streamWarmup(ctx, []*subscriber{live}, big)
	if err != nil {
		return Phase{}, err
	}
	from.Store(start)
	d := &Drain{Records: r.cfg.DrainRecords, BatchSize: bulkBatch}
	rep.Drain = d
	end, err := r.drainLive(ctx, d, live, big)
	if err != nil {
		return Phase{}, err
	}
	d.Replay, err = r.replay(ctx, hc, 0, end)
	r.logf("drain replay: %s", d.Replay.summary())
	return Phase{}, err
}

// drainLive runs the import with live subscribed, waits for the import's
// events to reach it and returns the seq of the last.
func (r *runner) drainLive(ctx context.Context, d *Drain, live *subscriber, big account) (int64, error) {
	r.logf("drain: importing %d records with applyWrites while a subscriber follows the firehose", d.Records)
	cpu0 := r.serverCPU()
	begin := time.Now()
	calls, err := r.importRecords(ctx, big, d.Records)
	took := time.Since(begin)
	during, bytesDuring := live.counted.Load(), live.bytes.Load()
	if err != nil {
		return 0, err
	}
	d.Calls, d.ImportSeconds = calls, round(took.Seconds(), 2)
	d.RecordsPerSec = round(float64(d.Records)/took.Seconds(), 1)
	if cpu0 >= 0 {
		cpu := round(r.serverCPU()-cpu0, 2)
		d.ServerCPUSeconds = &cpu
	}
	deadline := time.Now().Add(drainCatchUpTimeout)
	for live.counted.Load() < int64(calls) && !live.gone.Load() && time.Now().Before(deadline) {
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			return 0, err
		}
	}
	lastAt, end := time.Unix(0, live.lastAt.Load()), live.last.Load()
	live.stop()
	d.Live = liveRead(live, took, during, bytesDuring)
	d.Live.CatchUpMS = round(max(0, msFloat(lastAt.Sub(begin.Add(took)))), 1)
	r.logf("drain live: %s", d.Live.summary())
	if live.counted.Load() == 0 {
		return 0, rhizome.Errorf("run drain", rhizome.Unavailable, "the live subscriber read none of the import's %d commits (%s)", calls, live.ending())
	}
	return end, nil
}

// liveRead is the live subscriber's figures: rates over the import's wall
// time, counts in all.
func liveRead(s *subscriber, took time.Duration, during, bytesDuring int64) StreamRead {
	secs := took.Seconds()
	return StreamRead{Events: s.counted.Load(), Bytes: s.bytes.Load(), EventsDuringImport: during,
		Seconds: round(secs, 3), EventsPerSec: round(float64(during)/secs, 1), MBPerSec: round(float64(bytesDuring)/1e6/secs, 2),
		LastSeq: s.last.Load(), Missing: s.missing, Ending: s.ending(), P50MS: roundMS(s.hist.percentile(50)), P99MS: roundMS(s.hist.percentile(99)),
		MaxMS: roundMS(s.hist.maxDuration())}
}

// importRecords writes n records into a's repository in sequential
// applyWrites batches and returns how many calls (commits) it made.
func (r *runner) importRecords(ctx context.Context, a account, n int) (int, error) {
	calls := 0
	for done := 0; done < n; calls++ {
		size := min(bulkBatch, n-done)
		writes := make([]any, size)
		for k := range writes {
			writes[k] = map[string]any{"$type": "com.atproto.repo.applyWrites#create", "collection": itemCollection, "value": item(done + k)}
		}
		_, err := r.c.do(ctx, request{method: http.MethodPost, nsid: "com.atproto.repo.applyWrites", token: a.Token,
			body: map[string]any{"repo": a.DID, "writes": writes}})
		if err != nil {
			return calls, rhizome.E("import records", rhizome.Other, err)
		}
		if done += size; (calls+1)%10 == 0 {
			r.logf("  %d/%d", done, n)
		}
	}
	return calls, nil
}

// replay subscribes from cursor and reads until it has the event with seq
// end, timing from the handshake to that event.
func (r *runner) replay(ctx context.Context, hc *http.Client, cursor, end int64) (StreamRead, error) {
	from := new(atomic.Int64)
	from.Store(cursor)
	cpu0 := r.serverCPU()
	begin := time.Now()
	conn, err := dialStream(ctx, hc, r.cfg.URL, &cursor)
	if err != nil {
		return StreamRead{}, err
	}
	s := &subscriber{conn: conn, from: from, done: make(chan struct{})}
	s.lastAt.Store(begin.UnixNano())
	go s.run()
	deadline := time.Now().Add(replayTimeout)
	for s.last.Load() < end && !s.gone.Load() && time.Now().Before(deadline) {
		if err := sleepCtx(ctx, time.Millisecond); err != nil {
			s.stop()
			return StreamRead{}, err
		}
	}
	took := time.Unix(0, s.lastAt.Load()).Sub(begin)
	s.stop()
	out := StreamRead{Cursor: &cursor, Events: s.counted.Load(), Bytes: s.bytes.Load(), Seconds: round(took.Seconds(), 3),
		LastSeq: s.last.Load(), Missing: s.missing, Ending: s.ending()}
	if secs := took.Seconds(); secs > 0 {
		out.EventsPerSec, out.MBPerSec = round(float64(out.Events)/secs, 1), round(float64(out.Bytes)/1e6/secs, 2)
	}
	if cpu0 >= 0 {
		cpu := round(r.serverCPU()-cpu0, 2)
		out.ServerCPUSeconds = &cpu
	}
	if s.last.Load() < end {
		return out, rhizome.Errorf("run drain", rhizome.Unavailable, "the replay from cursor %d stopped at seq %d before %d: %s", cursor, s.last.Load(), end, out.Ending)
	}
	return out, nil
}
