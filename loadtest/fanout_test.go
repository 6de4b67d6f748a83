package loadtest

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/firehose"
	"github.com/rhizome-pds/rhizome/store"
)

// commitFrame is a #commit message as a server sends it, with every field
// of the Sync 1.1 event so the parser has to skip the big ones.
func commitFrame(t *testing.T, seq int64, when string) []byte {
	t.Helper()
	body := map[string]any{
		"repo": "did:plc:abcdefghijklmnopqrstuvwx", "rev": "3lbenchrev000", "since": nil, "time": when,
		"ops":    []any{map[string]any{"action": "create", "path": "app.bsky.feed.post/3lbench", "cid": nil}},
		"blocks": make([]byte, 3000), "blobs": []any{}, "rebase": false, "tooBig": false,
	}
	return eventFrame(t, "commit", seq, body)
}

func eventFrame(t *testing.T, typ string, seq int64, body map[string]any) []byte {
	t.Helper()
	raw, err := data.MarshalCBOR(body)
	if err != nil {
		t.Fatal(err)
	}
	f, err := firehose.Frame(store.Event{Seq: seq, Type: typ, Body: raw})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParseFrame(t *testing.T) {
	when := "2025-03-04T05:06:07.089Z"
	wantMS := time.Date(2025, 3, 4, 5, 6, 7, 89e6, time.UTC).UnixMilli()
	cases := []struct {
		name string
		msg  []byte
		want streamFrame
	}{
		{"commit", commitFrame(t, 4242, when), streamFrame{op: 1, seq: 4242, timeMS: wantMS}},
		{"identity", eventFrame(t, "identity", 7, map[string]any{"did": "did:plc:x", "time": when, "handle": "a.test"}),
			streamFrame{op: 1, seq: 7, timeMS: wantMS}},
		{"offset time", eventFrame(t, "account", 8, map[string]any{"did": "did:plc:x", "time": "2025-03-04T07:06:07.089123+02:00", "active": true}),
			streamFrame{op: 1, seq: 8, timeMS: wantMS}},
		{"no time", eventFrame(t, "sync", 9, map[string]any{"did": "did:plc:x"}), streamFrame{op: 1, seq: 9}},
		{"bad time", eventFrame(t, "sync", 10, map[string]any{"time": "yesterday"}), streamFrame{op: 1, seq: 10}},
		{"info", firehose.InfoFrame("OutdatedCursor", "too old"), streamFrame{op: 1}},
		{"error", firehose.ErrorFrame("ConsumerTooSlow", "fell behind"),
			streamFrame{op: -1, errName: "ConsumerTooSlow", errMsg: "fell behind"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseFrame(c.msg)
			if err != nil || got != c.want {
				t.Fatalf("parseFrame = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
	t.Run("broken", func(t *testing.T) {
		full := commitFrame(t, 1, when)
		unknownOp, _ := data.MarshalCBOR(map[string]any{"op": int64(2), "t": "#commit"})
		for name, msg := range map[string][]byte{
			"empty": nil, "cut in header": full[:10], "header only": full[:15], "cut in ops": full[:20], "unknown op": append(unknownOp, 0xa0),
			"not a map": {0x01}, "body not a map": append(unknownOp[:len(unknownOp):len(unknownOp)], 0x01),
		} {
			if f, err := parseFrame(msg); err == nil {
				t.Errorf("%s: parseFrame = %+v, want an error", name, f)
			}
		}
	})
	t.Run("reads no further than it needs", func(t *testing.T) {
		msg := commitFrame(t, 5, when)
		cut := msg[:len(msg)-2900] // inside blocks, which sort after seq and time
		if f, err := parseFrame(cut); err != nil || f.seq != 5 || f.timeMS != wantMS {
			t.Errorf("parseFrame of a frame cut inside blocks = %+v, %v", f, err)
		}
	})
}

func TestParseTimeMS(t *testing.T) {
	t.Run("fast path agrees with time.Parse", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range 2000 {
			tm := time.UnixMilli(rng.Int64N(4e12)).UTC()
			s := tm.Format("2006-01-02T15:04:05.000Z")
			if ms, ok := parseUTCMillis([]byte(s)); !ok || ms != tm.UnixMilli() {
				t.Fatalf("parseUTCMillis(%s) = %d, %v; want %d", s, ms, ok, tm.UnixMilli())
			}
		}
	})
	for _, s := range []string{"", "2025-03-04T05:06:07Z", "2025-13-04T05:06:07.000Z", "2025-03-04 05:06:07.000Z", "2025-03-04T05:06:0x.000Z"} {
		if _, ok := parseUTCMillis([]byte(s)); ok {
			t.Errorf("parseUTCMillis(%q) accepted", s)
		}
	}
	if got := parseTimeMS([]byte("2025-03-04T05:06:07Z")); got != time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC).UnixMilli() {
		t.Errorf("parseTimeMS without fraction = %d", got)
	}
	if got := parseTimeMS([]byte("soon")); got != 0 {
		t.Errorf("parseTimeMS(soon) = %d, want 0", got)
	}
}

func TestHistogram_percentile(t *testing.T) {
	t.Run("buckets tile the range", func(t *testing.T) {
		prev := -1
		for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 129, 1000, 1 << 20, 1<<20 + 12345, histTop - 1, histTop} {
			b := histBucket(v)
			if b < prev || histHigh(b) < int64(v) || (b > 0 && histHigh(b-1) >= int64(v)) || b >= histBuckets {
				t.Errorf("value %d: bucket %d [.., %d], previous bucket high %d", v, b, histHigh(b), histHigh(b-1))
			}
			if lo := histHigh(b-1) + 1; v >= 2*histSub && float64(histHigh(b)-lo) > float64(lo)/histSub {
				t.Errorf("bucket %d of %d spans [%d, %d], wider than 1/%d", b, v, lo, histHigh(b), histSub)
			}
			prev = b
		}
		if b := histBucket(math.MaxUint64); b != histBuckets-1 {
			t.Errorf("huge value in bucket %d, want the last, %d", b, histBuckets-1)
		}
	})
	t.Run("close to the exact nearest rank", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		var h histogram
		var exact []time.Duration
		for range 20000 {
			us := int64(rng.ExpFloat64() * 3000) // ms-scale, long tail
			h.add(us)
			exact = append(exact, time.Duration(us)*time.Microsecond)
		}
		slices.Sort(exact)
		for _, p := range []float64{1, 50, 90, 99, 99.9, 100} {
			got, want := h.percentile(p), Percentile(exact, p)
			if got < want || float64(got-want) > float64(want)/histSub+float64(time.Microsecond) {
				t.Errorf("p%v = %v, want %v within 1/%d above", p, got, want, histSub)
			}
		}
		if h.maxDuration() != exact[len(exact)-1] {
			t.Errorf("max %v, want %v", h.maxDuration(), exact[len(exact)-1])
		}
	})
	t.Run("merge, empty, negative", func(t *testing.T) {
		var a, b, empty histogram
		if empty.percentile(50) != 0 || empty.maxDuration() != 0 {
			t.Error("empty histogram is not zero")
		}
		a.add(-5) // a clock a little behind counts as 0
		b.add(10)
		b.add(20)
		a.merge(&b)
		a.merge(&empty)
		if a.n != 3 || a.percentile(1) != 0 || a.percentile(50) != 10*time.Microsecond || a.percentile(100) != 20*time.Microsecond {
			t.Errorf("merged: n %d, p1 %v p50 %v p100 %v", a.n, a.percentile(1), a.percentile(50), a.percentile(100))
		}
	})
}

func TestSubscriber_take(t *testing.T) {
	from := new(atomic.Int64)
	from.Store(10)
	s := &subscriber{from: from}
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	sent := now.Add(-25 * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
	for _, seq := range []int64{9, 10, 11, 12, 15} { // 13 and 14 never come
		s.take(commitFrame(t, seq, sent), now)
	}
	s.take(firehose.InfoFrame("OutdatedCursor", "x"), now)
	s.take([]byte{0xff}, now)
	s.take(firehose.ErrorFrame("ConsumerTooSlow", "fell behind"), now)
	if s.frames.Load() != 8 || s.counted.Load() != 3 || s.last.Load() != 15 || s.missing != 2 {
		t.Errorf("frames %d, counted %d, last %d, missing %d; want 8, 3, 15, 2", s.frames.Load(), s.counted.Load(), s.last.Load(), s.missing)
	}
	if s.hist.n != 3 || s.hist.percentile(50) != 25*time.Millisecond {
		t.Errorf("latency: %d samples, p50 %v; want 3 at 25ms", s.hist.n, s.hist.percentile(50))
	}
	if s.bytes.Load() != 3*int64(len(commitFrame(t, 11, sent))) {
		t.Errorf("bytes %d", s.bytes.Load())
	}
	if s.badFrame == nil || s.ending() != "ConsumerTooSlow: fell behind" {
		t.Errorf("bad frame %v, ending %q", s.badFrame, s.ending())
	}
}

func TestDueBy(t *testing.T) {
	cases := []struct {
		elapsed time.Duration
		rate    float64
		want    int
	}{
		{0, 500, 1}, {time.Millisecond, 500, 1}, {2 * time.Millisecond, 500, 2}, {time.Second, 500, 501},
		{999 * time.Millisecond, 1, 1}, {time.Second, 1, 2}, {10 * time.Second, 0.5, 6},
	}
	for _, c := range cases {
		if got := dueBy(c.elapsed, c.rate); got != c.want {
			t.Errorf("dueBy(%v, %v) = %d, want %d", c.elapsed, c.rate, got, c.want)
		}
	}
}

func TestConfig_Validate_firehose(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		ok     bool
	}{
		{"both phases", func(c *Config) { c.Phases = FirehosePhases }, true},
		{"zero subscribers unused", func(c *Config) { c.Subscribers, c.CommitRate = 0, 0 }, true},
		{"fanout without subscribers", func(c *Config) { c.Phases, c.Subscribers = []string{PhaseFanout}, 0 }, false},
		{"fanout without rate", func(c *Config) { c.Phases, c.CommitRate = []string{PhaseFanout}, 0 }, false},
		{"fanout writing nothing", func(c *Config) { c.Phases, c.CommitRate, c.FanoutDuration = []string{PhaseFanout}, 1, time.Millisecond }, false},
		{"negative slow", func(c *Config) { c.SlowSubscribers = -1 }, false},
		{"drain without records", func(c *Config) { c.Phases, c.DrainRecords = []string{PhaseDrain}, 0 }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Defaults()
			c.change(&cfg)
			err := cfg.Validate()
			if c.ok != (err == nil) || (err != nil && !rhizome.Is(err, rhizome.Invalid)) {
				t.Fatalf("Validate() = %v, want ok=%v", err, c.ok)
			}
		})
	}
	t.Run("parse and defaults", func(t *testing.T) {
		got, err := ParsePhases("drain, fanout,create")
		if err != nil || !slices.Equal(got, []string{"drain", "fanout", "create"}) {
			t.Errorf("ParsePhases = %v, %v", got, err)
		}
		if slices.Contains(Defaults().Phases, PhaseFanout) || slices.Contains(Defaults().Phases, PhaseDrain) {
			t.Error("the firehose phases run by default")
		}
		if _, err := ParsePhases("firehose"); err == nil || !strings.Contains(err.Error(), "fanout,drain") {
			t.Errorf("unknown phase error %v does not list the firehose phases", err)
		}
	})
}

func TestSettle(t *testing.T) {
	sub := func(last int64, idle time.Duration) *subscriber {
		s := &subscriber{}
		s.last.Store(last)
		s.lastAt.Store(time.Now().Add(-idle).UnixNano())
		return s
	}
	ctx := t.Context()
	t.Run("level and quiet", func(t *testing.T) {
		if end, ok := settle(ctx, []*subscriber{sub(7, time.Hour), sub(7, time.Hour)}, time.Second, time.Second); end != 7 || !ok {
			t.Errorf("settle = %d, %v; want 7, true", end, ok)
		}
	})
	t.Run("one behind until the timeout", func(t *testing.T) {
		start := time.Now()
		end, ok := settle(ctx, []*subscriber{sub(7, time.Hour), sub(5, time.Hour)}, time.Second, 100*time.Millisecond)
		if end != 7 || ok || time.Since(start) < 100*time.Millisecond {
			t.Errorf("settle = %d, %v after %v; want 7, false after the timeout", end, ok, time.Since(start))
		}
	})
	t.Run("a disconnected one does not hold it up", func(t *testing.T) {
		gone := sub(5, 0)
		gone.gone.Store(true)
		if end, ok := settle(ctx, []*subscriber{sub(7, time.Hour), gone}, time.Second, time.Second); end != 7 || !ok {
			t.Errorf("settle = %d, %v; want 7, true", end, ok)
		}
	})
}

func TestSubscriber_ending(t *testing.T) {
	cases := []struct {
		name string
		s    *subscriber
		want string
	}{
		{"open", &subscriber{}, ""},
		{"error frame first", &subscriber{errFrame: "ConsumerTooSlow: x", err: io.EOF}, "ConsumerTooSlow: x"},
		{"close frame", &subscriber{err: fmt.Errorf("read: %w", websocket.CloseError{Code: websocket.StatusGoingAway, Reason: "bye"})},
			`closed with status 1001 "bye"`},
		{"dropped", &subscriber{err: io.ErrUnexpectedEOF}, "dropped without an error frame or close: unexpected EOF"},
	}
	for _, c := range cases {
		if got := c.s.ending(); got != c.want {
			t.Errorf("%s: ending() = %q, want %q", c.name, got, c.want)
		}
	}
}
