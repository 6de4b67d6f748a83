package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rhizome-pds/rhizome/firehose"
)

// fakeFirehose serves n commit frames (seq 1..n, big ones included) on
// subscribeRepos, then a ConsumerTooSlow error frame, and closes.
func fakeFirehose(t *testing.T, n int) *httptest.Server {
	t.Helper()
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = commitFrame(t, int64(i+1), time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	frames[n/2] = append(frames[n/2], make([]byte, 100<<10)...) // beyond the default read limit
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/xrpc/"+subscribeNSID || r.URL.Query().Get("cursor") != "" {
			http.Error(w, `{"error":"InvalidRequest"}`, http.StatusBadRequest)
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		for _, f := range frames {
			if conn.Write(r.Context(), websocket.MessageBinary, f) != nil {
				return
			}
		}
		conn.Write(r.Context(), websocket.MessageBinary, firehose.ErrorFrame("ConsumerTooSlow", "fell behind"))
		conn.Close(websocket.StatusPolicyViolation, "ConsumerTooSlow")
	}))
}

func TestSubscribe_stream(t *testing.T) {
	srv := fakeFirehose(t, 50)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	from := new(atomic.Int64)
	from.Store(20)
	hc := streamClient()
	subs, err := subscribeAll(ctx, hc, srv.URL, 3, from, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		<-s.done
		if !s.gone.Load() || s.last.Load() != 50 || s.counted.Load() != 30 || s.missing != 0 || s.badFrame != nil {
			t.Errorf("gone %v, last %d, counted %d, missing %d, bad %v; want gone at 50 with 30 counted",
				s.gone.Load(), s.last.Load(), s.counted.Load(), s.missing, s.badFrame)
		}
		if s.ending() != "ConsumerTooSlow: fell behind" || s.hist.n != 30 {
			t.Errorf("ending %q, %d latencies", s.ending(), s.hist.n)
		}
	}
	if got, ok := settle(ctx, subs, time.Hour, time.Hour); got != 50 || !ok {
		t.Errorf("settle over ended streams = %d, %v; want 50, true", got, ok)
	}
	stopAll(subs)
	t.Run("refused handshake", func(t *testing.T) {
		cursor := int64(3)
		_, err := dialStream(ctx, hc, srv.URL, &cursor)
		if err == nil || !strings.Contains(err.Error(), "HTTP 400") {
			t.Errorf("dial with a cursor the fake refuses: %v", err)
		}
	})
}

func TestRunner_writeAtRate(t *testing.T) {
	f := &fakePDS{fail: func(int64) bool { return false }}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := Defaults()
	cfg.URL, cfg.CommitRate, cfg.FanoutDuration = srv.URL, 200, 500*time.Millisecond
	r := &runner{cfg: cfg, c: newClient(srv.URL, 2), accounts: []account{{DID: "did:plc:a", Token: "t"}, {DID: "did:plc:b", Token: "t"}}}
	w := r.writeAtRate(context.Background())
	if w.issued != 100 || w.errors != 0 || w.skipped != 0 || len(w.lat) != 100 || f.records.Load() != 100 {
		t.Errorf("issued %d, errors %d, skipped %d, %d latencies, %d records; want 100 written", w.issued, w.errors, w.skipped, len(w.lat), f.records.Load())
	}
	if w.elapsed < 450*time.Millisecond || w.elapsed > 2*time.Second {
		t.Errorf("100 writes at 200/s took %v, want about 0.5s", w.elapsed)
	}
}

func TestRaiseFileLimit(t *testing.T) {
	got, err := raiseFileLimit(64)
	var lim syscall.Rlimit
	if gerr := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); gerr != nil {
		t.Fatal(gerr)
	}
	if err != nil || got != lim.Cur || lim.Cur != lim.Max {
		t.Errorf("raiseFileLimit = %d, %v; limit now %d of %d", got, err, lim.Cur, lim.Max)
	}
	_, err = raiseFileLimit(math.MaxUint64)
	if (err == nil) != (lim.Max == math.MaxUint64) {
		t.Errorf("asking for more than the hard limit %d: %v", lim.Max, err)
	}
}

func firehoseReport() *Report {
	cpu, cpu2, cursor := 30.5, 1.25, int64(1234)
	return &Report{URL: "http://127.0.0.1:2583", Concurrency: 8, OpsPerPhase: 2000, Warmup: 50, Machine: Machine{CPUs: 2},
		Fanout: &Fanout{Subscribers: 1000, SlowSubscribers: 1, TargetRate: 500, Seconds: 20.05, Commits: 10000, Skipped: 2,
			CommitsPerSec: 498.8, Events: 10000, Delivered: 9999000, DeliveredPerSec: 498703.2, P50MS: 1.25, P90MS: 3.5,
			P99MS: 12, MaxMS: 80.5, LostEvents: 1000, SubscribersLost: 1, Disconnected: 1, FirstDisconnect: "closed with status 1006 \"\"",
			Slow: []SlowSubscriber{{FramesRead: 200, Behind: 9800, Disconnected: true, Ending: "ConsumerTooSlow: fell behind", LastSeq: 6000, EndSeq: 10050},
				{FramesRead: 3, LastSeq: 10050, EndSeq: 10050}},
			ServerCPUSeconds: &cpu, ServerRSSMB: 120.5, ServerPeakRSSMB: 150, ClientCPUSeconds: 25.5, ClientRSSMB: 60, ClientPeakRSSMB: 70.25, FileLimit: 1048576},
		Drain: &Drain{Records: 10000, BatchSize: 200, Calls: 50, ImportSeconds: 5.2, RecordsPerSec: 1923.1, ServerCPUSeconds: &cpu2,
			Live:   StreamRead{Events: 51, EventsDuringImport: 50, Bytes: 5_500_000, Seconds: 5.2, EventsPerSec: 9.6, MBPerSec: 1.04, CatchUpMS: 3.5, P50MS: 2, P99MS: 9, MaxMS: 9.5},
			Replay: StreamRead{Cursor: &cursor, Events: 51, Bytes: 5_500_000, Seconds: 0.11, EventsPerSec: 463.6, MBPerSec: 50}},
	}
}

func TestReport_WriteTable_firehose(t *testing.T) {
	var b bytes.Buffer
	if err := firehoseReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `
fanout: 1000 subscribers + 1 slow, target 500 commits/s: 10000 commits in 20.05s (498.8/s), 0 errors, 2 skipped
  delivery: 10000 events × 1000 subscribers, 9999000 delivered (498703.2/s); latency p50 1.25ms p90 3.50ms p99 12.00ms max 80.50ms
  losses: 1 subscribers lost events (1000 in all), 0 saw seq gaps, 1 disconnected (first: closed with status 1006 "")
  slow subscriber 1: read 200 frames, 9800 events behind when the writes ended; disconnected after seq 6000 of 10050: ConsumerTooSlow: fell behind
  slow subscriber 2: read 3 frames, 0 events behind when the writes ended; still connected
  resources: server CPU 30.50s, RSS 120.5 MB (peak 150.0 MB during the phase); client CPU 25.50s, RSS 60.0 MB (peak 70.2 MB), open-file limit 1048576

drain: 10000 records in 50 applyWrites of 200: 5.20s, 1923.1 records/s, server CPU 1.25s
  live subscriber: 50 events during the import: 51 events, 5.50 MB in all, 9.6 events/s, 1.04 MB/s, 0 missing, caught up 3.5ms after the import, delivery p50 2.00ms p99 9.00ms max 9.50ms
  replay from cursor 1234: 51 events, 5.50 MB in 0.110s, 463.6 events/s, 50.00 MB/s, 0 missing
`
	if got := b.String(); !strings.HasSuffix(got, want) {
		t.Errorf("WriteTable:\n%s\nwant it to end with:\n%s", got, want)
	}
}

func TestReport_JSON_firehose(t *testing.T) {
	b, err := json.Marshal(firehoseReport())
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Fanout map[string]any `json:"fanout"`
		Drain  struct {
			Live   map[string]any `json:"live"`
			Replay map[string]any `json:"replay"`
		} `json:"drain"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"subscribers": 1000.0, "commits_per_s": 498.8, "delivery_p99_ms": 12.0,
		"subscribers_disconnected": 1.0, "server_cpu_s": 30.5, "client_peak_rss_mb": 70.25} {
		if raw.Fanout[k] != v {
			t.Errorf("fanout.%s = %v, want %v", k, raw.Fanout[k], v)
		}
	}
	if slow, _ := raw.Fanout["slow"].([]any); len(slow) != 2 || slow[0].(map[string]any)["ending"] != "ConsumerTooSlow: fell behind" {
		t.Errorf("fanout.slow = %v", raw.Fanout["slow"])
	}
	if raw.Drain.Replay["cursor"] != 1234.0 || raw.Drain.Replay["mb_per_s"] != 50.0 || raw.Drain.Live["events_during_import"] != 50.0 {
		t.Errorf("drain = %+v", raw.Drain)
	}
	if _, ok := raw.Drain.Live["cursor"]; ok {
		t.Error("the live read has a cursor")
	}
}
