package syntax

import (
	"testing"
	"time"
)

func TestTID_Known(t *testing.T) {
	// Independently computed: (1_700_000_000_000_000 << 10) | 5 in
	// base32-sortable is 3ke6kg3wk2227.
	got := NewTID(1_700_000_000_000_000, 5)
	if got != "3ke6kg3wk2227" {
		t.Fatalf("NewTID = %q, want 3ke6kg3wk2227", got)
	}
	if got.UnixMicro() != 1_700_000_000_000_000 || got.ClockID() != 5 {
		t.Errorf("UnixMicro, ClockID = %d, %d", got.UnixMicro(), got.ClockID())
	}
	want := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)
	if !got.Time().Equal(want) || got.Time().Location() != time.UTC {
		t.Errorf("Time() = %v, want %v", got.Time(), want)
	}
	if v, _ := ParseTID("3jzfcijpj2z2a"); v.UnixMicro() != 1688137381887007 || v.ClockID() != 6 {
		t.Errorf("3jzfcijpj2z2a: %d, %d", v.UnixMicro(), v.ClockID())
	}
}

func TestTID_Extremes(t *testing.T) {
	if got := NewTIDFromInteger(0); got != "2222222222222" {
		t.Errorf("zero = %q", got)
	}
	top := NewTIDFromInteger(^uint64(0))
	if top != "jzzzzzzzzzzzz" {
		t.Errorf("max = %q", top)
	}
	if _, err := ParseTID(string(top)); err != nil {
		t.Errorf("max does not parse: %v", err)
	}
	if got := NewTID(-1, 1<<11|3); got.ClockID() != 3 || got.Integer()>>63 != 0 {
		t.Errorf("NewTID masks: %q clock %d", got, got.ClockID())
	}
}

func TestTID_IntegerRoundTrip(t *testing.T) {
	vals := []uint64{0, 1, 31, 32, 1 << 10, 1<<63 - 1, 1 << 63, ^uint64(0), 0x0123_4567_89ab_cdef}
	for _, v := range vals {
		tid := NewTIDFromInteger(v)
		if _, err := ParseTID(string(tid)); err != nil {
			t.Errorf("%#x: %q does not parse: %v", v, tid, err)
		}
		if got := tid.Integer(); got != v {
			t.Errorf("%#x: Integer() = %#x", v, got)
		}
	}
}

func TestTID_SortsAsInteger(t *testing.T) {
	vals := []uint64{0, 1, 2, 31, 32, 33, 1023, 1024, 1 << 40, 1<<40 + 1, 1<<63 - 1}
	for i := 1; i < len(vals); i++ {
		a, b := NewTIDFromInteger(vals[i-1]), NewTIDFromInteger(vals[i])
		if !(a < b) {
			t.Errorf("%q (%d) !< %q (%d)", a, vals[i-1], b, vals[i])
		}
	}
}

func TestTID_UncheckedValues(t *testing.T) {
	for _, v := range []TID{"", "short", "kzzzzzzzzzzzz", "3jzfcijpj2z21", "3JZFCIJPJ2Z2A"} {
		if got := v.Integer(); got != 0 {
			t.Errorf("%q: Integer() = %d, want 0", v, got)
		}
	}
}

func TestNewTIDFromTime(t *testing.T) {
	at := time.Date(2024, 2, 29, 12, 0, 0, 123_456_789, time.FixedZone("x", 3600))
	tid := NewTIDFromTime(at, 1023)
	if !tid.Time().Equal(at.Truncate(time.Microsecond)) || tid.ClockID() != 1023 {
		t.Errorf("round trip: %v clock %d", tid.Time(), tid.ClockID())
	}
}
