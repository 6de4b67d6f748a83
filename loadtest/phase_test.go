package loadtest

import (
	"testing"
	"time"
)

func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func oneTo(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	cases := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no samples", nil, 50, 0},
		{"one sample", durations(7), 99, 7 * time.Millisecond},
		{"p50 of 100", oneTo(100), 50, 50 * time.Millisecond},
		{"p90 of 100", oneTo(100), 90, 90 * time.Millisecond},
		{"p99 of 100", oneTo(100), 99, 99 * time.Millisecond},
		{"p100 is the max", oneTo(100), 100, 100 * time.Millisecond},
		{"p99 of 10 is the max", oneTo(10), 99, 10 * time.Millisecond},
		{"p50 of 3 is the middle", durations(1, 2, 3), 50, 2 * time.Millisecond},
		{"p50 of 4 is the lower middle", durations(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p90 of 1000 rounds up", oneTo(1000), 90.05, 901 * time.Millisecond},
		{"tiny p is the min", oneTo(10), 0.001, time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Percentile(c.sorted, c.p); got != c.want {
				t.Errorf("Percentile(%d samples, %v) = %v, want %v", len(c.sorted), c.p, got, c.want)
			}
		})
	}
}

func TestPhase_summarize(t *testing.T) {
	t.Run("unsorted samples", func(t *testing.T) {
		var p Phase
		lat := durations(9, 1, 5, 3, 7, 2, 8, 4, 10, 6)
		p.summarize(lat, 2*time.Second)
		if p.Seconds != 2 || p.OpsPerSec != 5 {
			t.Errorf("seconds %v ops/s %v, want 2 and 5", p.Seconds, p.OpsPerSec)
		}
		want := [4]time.Duration{5 * time.Millisecond, 9 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
		if got := [4]time.Duration{p.P50, p.P90, p.P99, p.Max}; got != want {
			t.Errorf("p50/p90/p99/max = %v, want %v", got, want)
		}
	})
	t.Run("no samples", func(t *testing.T) {
		p := Phase{Ops: 3, Errors: 3}
		p.summarize(nil, time.Second)
		if p.OpsPerSec != 0 || p.P50 != 0 || p.Max != 0 || p.OK() != 0 {
			t.Errorf("got %+v, want zero figures", p)
		}
	})
}
