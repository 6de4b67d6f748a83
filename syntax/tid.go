package syntax

import "time"

// TID is a timestamp identifier: 13 characters of base32-sortable encoding
// of a 64-bit integer whose top bit is zero (when generated), whose next 53
// bits are microseconds since the Unix epoch and whose low 10 bits are a
// clock id. 13 characters hold 65 bits, so the first character encodes only
// four and is one of "234567abcdefghij".
// TIDs sort as strings in the order of their integers, so later TIDs from
// one clock compare greater.
type TID string

// TIDLen is the length of every TID.
const TIDLen = 13

// base32Sort is the alphabet of TIDs, in ascending order.
const base32Sort = "234567abcdefghijklmnopqrstuvwxyz"

const (
	tidClockBits  = 10
	tidClockMask  = 1<<tidClockBits - 1
	tidMicrosMask = 1<<53 - 1
)

// base32SortValue maps a byte to its digit value, or 0xFF for bytes outside
// the alphabet.
var base32SortValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i := 0; i < len(base32Sort); i++ {
		t[base32Sort[i]] = byte(i)
	}
	return t
}()

// ParseTID validates s as a TID.
func ParseTID(s string) (TID, error) {
	const op = "parse tid"
	if len(s) != TIDLen {
		return "", invalid(op, s, "not 13 characters")
	}
	// The first character carries the top bit, which must be zero, so it
	// is one of the first 16 letters of the alphabet: 2-7 or a-j.
	if v := base32SortValue[s[0]]; v >= 16 {
		return "", invalid(op, s, "first character must be one of 234567abcdefghij")
	}
	for i := 1; i < TIDLen; i++ {
		if base32SortValue[s[i]] == 0xFF {
			return "", invalid(op, s, "character outside the base32-sortable alphabet")
		}
	}
	return TID(s), nil
}

// NewTID builds the TID for a time in microseconds since the Unix epoch and
// a clock id. Only the low 53 bits of unixMicros and the low 10 bits of
// clockID are used.
func NewTID(unixMicros int64, clockID uint) TID {
	v := uint64(unixMicros)&tidMicrosMask<<tidClockBits | uint64(clockID)&tidClockMask
	return NewTIDFromInteger(v)
}

// NewTIDFromTime builds the TID for t and a clock id.
func NewTIDFromTime(t time.Time, clockID uint) TID {
	return NewTID(t.UnixMicro(), clockID)
}

// NewTIDFromInteger encodes v as a TID. The spec reserves the top bit of v,
// which NewTID always leaves zero, but any uint64 encodes to a TID that
// ParseTID accepts and Integer decodes back to v.
func NewTIDFromInteger(v uint64) TID {
	var b [TIDLen]byte
	for i := TIDLen - 1; i >= 0; i-- {
		b[i] = base32Sort[v&31]
		v >>= 5
	}
	return TID(b[:])
}

// Integer returns the 64-bit integer t encodes, or 0 if t is not a valid TID.
func (t TID) Integer() uint64 {
	if len(t) != TIDLen || base32SortValue[t[0]] >= 16 {
		return 0
	}
	var v uint64
	for i := 0; i < TIDLen; i++ {
		d := base32SortValue[t[i]]
		if d == 0xFF {
			return 0
		}
		v = v<<5 | uint64(d)
	}
	return v
}

// UnixMicro returns the timestamp of t in microseconds since the Unix epoch.
func (t TID) UnixMicro() int64 { return int64(t.Integer() >> tidClockBits) }

// Time returns the timestamp of t, in UTC.
func (t TID) Time() time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }

// ClockID returns the clock id of t.
func (t TID) ClockID() uint { return uint(t.Integer() & tidClockMask) }

func (t TID) String() string { return string(t) }

// MarshalText implements encoding.TextMarshaler.
func (t TID) MarshalText() ([]byte, error) { return []byte(t), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text.
func (t *TID) UnmarshalText(text []byte) error {
	v, err := ParseTID(string(text))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
