package syntax

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeTime is a settable time source.
type fakeTime struct{ micros atomic.Int64 }

func (f *fakeTime) now() time.Time       { return time.UnixMicro(f.micros.Load()) }
func (f *fakeTime) set(micros int64)     { f.micros.Store(micros) }
func newFakeTime(micros int64) *fakeTime { f := &fakeTime{}; f.set(micros); return f }

const t0 = 1_700_000_000_000_000 // an arbitrary instant, in Unix microseconds

func TestTIDClock_Next(t *testing.T) {
	c := NewTIDClock(42)
	before := time.Now().Add(-time.Second)
	tid := c.Next()
	if _, err := ParseTID(string(tid)); err != nil {
		t.Fatalf("Next() = %q does not parse: %v", tid, err)
	}
	if tid.ClockID() != 42 || c.ClockID() != 42 {
		t.Errorf("clock id %d / %d, want 42", tid.ClockID(), c.ClockID())
	}
	if tt := tid.Time(); tt.Before(before) || tt.After(time.Now().Add(time.Second)) {
		t.Errorf("Time() = %v, not now", tt)
	}
}

func TestTIDClock_SameMicrosecond(t *testing.T) {
	c := NewTIDClockWithSource(1, newFakeTime(t0).now)
	prev := c.Next()
	for i := 1; i < 1000; i++ {
		next := c.Next()
		if next <= prev {
			t.Fatalf("call %d: %q <= %q", i, next, prev)
		}
		if next.UnixMicro() != t0+int64(i) {
			t.Fatalf("call %d: runs %d µs ahead, want %d", i, next.UnixMicro()-t0, i)
		}
		prev = next
	}
}

func TestTIDClock_BackwardsWallClock(t *testing.T) {
	ft := newFakeTime(t0)
	c := NewTIDClockWithSource(7, ft.now)
	steps := []int64{t0, t0 - 1, t0 - 1_000_000, t0 - 3_600_000_000, t0, t0 + 1, t0 + 2}
	var prev TID
	for i, m := range steps {
		ft.set(m)
		next := c.Next()
		if next <= prev {
			t.Fatalf("step %d (clock %d): %q <= %q", i, m, next, prev)
		}
		prev = next
	}
	// Once wall time passes the clock again, TIDs follow wall time.
	ft.set(t0 + 5_000_000)
	if got := c.Next().UnixMicro(); got != t0+5_000_000 {
		t.Errorf("after catching up: %d, want %d", got, t0+5_000_000)
	}
}

func TestTIDClock_Concurrent(t *testing.T) {
	for name, now := range map[string]func() time.Time{
		"wall":   time.Now,
		"frozen": newFakeTime(t0).now,
	} {
		t.Run(name, func(t *testing.T) {
			testConcurrentClock(t, NewTIDClockWithSource(9, now))
		})
	}
}

func testConcurrentClock(t *testing.T, c *TIDClock) {
	const goroutines, perG = 16, 2000
	results := make([][]TID, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			seq := make([]TID, perG)
			for i := range seq {
				if i%2 == 0 {
					seq[i] = c.Next()
				} else {
					seq[i] = c.NextAfter(seq[i-1])
				}
			}
			results[g] = seq
		})
	}
	wg.Wait()
	seen := make(map[TID]bool, goroutines*perG)
	for g, seq := range results {
		for i, tid := range seq {
			if i > 0 && tid <= seq[i-1] {
				t.Fatalf("goroutine %d: TID %d %q <= previous %q", g, i, tid, seq[i-1])
			}
			if seen[tid] {
				t.Fatalf("duplicate TID %q", tid)
			}
			seen[tid] = true
		}
	}
}

func TestTIDClock_NextAfter(t *testing.T) {
	ft := newFakeTime(t0)
	c := NewTIDClockWithSource(3, ft.now)
	cases := []struct {
		name string
		prev TID
	}{
		{"far future, other clock", NewTID(t0+10_000_000, 1000)},
		{"same microsecond, higher clock id", NewTID(t0+10_000_001, 1023)},
		{"past", NewTID(t0-10_000_000, 0)},
		{"invalid", "not-a-tid"},
		{"empty", ""},
	}
	var last TID
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.NextAfter(tc.prev)
			if _, err := ParseTID(string(tc.prev)); err == nil && got <= tc.prev {
				t.Errorf("NextAfter(%q) = %q, not greater", tc.prev, got)
			}
			if got <= last {
				t.Errorf("NextAfter = %q, not greater than earlier %q", got, last)
			}
			if got.ClockID() != 3 {
				t.Errorf("clock id %d", got.ClockID())
			}
			last = got
		})
	}
	// The clock stays ahead of the largest prev it has seen.
	if next := c.Next(); next <= NewTID(t0+10_000_001, 1023) {
		t.Errorf("Next after NextAfter = %q, fell back", next)
	}
}

func TestTIDClock_NextAfterWithLowerPrev(t *testing.T) {
	c := NewTIDClockWithSource(0, newFakeTime(t0).now)
	if got := c.NextAfter(NewTID(t0-1, 0)); got.UnixMicro() != t0 {
		t.Errorf("NextAfter an older TID = %d µs, want current time %d", got.UnixMicro(), t0)
	}
}

func TestNewTIDClock_MasksClockID(t *testing.T) {
	if got := NewTIDClock(1024 + 5).ClockID(); got != 5 {
		t.Errorf("ClockID() = %d, want 5", got)
	}
	if NewTIDClockWithSource(1, nil).Next() == "" {
		t.Error("nil source did not default to time.Now")
	}
	var zero TIDClock
	if a, b := zero.Next(), zero.Next(); a >= b || a.ClockID() != 0 {
		t.Errorf("zero clock: %q then %q", a, b)
	}
}

func TestRandomClockID(t *testing.T) {
	seen := map[uint]bool{}
	for range 200 {
		id := RandomClockID()
		if id > 1023 {
			t.Fatalf("RandomClockID() = %d, out of range", id)
		}
		seen[id] = true
	}
	if len(seen) < 100 {
		t.Errorf("200 draws gave only %d distinct ids", len(seen))
	}
}
