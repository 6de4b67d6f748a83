package syntax

import (
	"strings"
	"time"
)

// Datetime is a timestamp in the strict RFC 3339 / ISO 8601 subset the
// atproto "datetime" string format allows: "YYYY-MM-DDTHH:MM:SS", an
// optional fraction of one or more digits, then "Z" or an offset "+hh:mm" /
// "-hh:mm" ("-00:00" is not allowed). Upper-case T and Z only; no
// whitespace; at most 64 bytes; the instant may not fall before year 0.
type Datetime string

// MaxDatetimeLen is the longest Datetime accepted, in bytes.
const MaxDatetimeLen = 64

// DatetimeLayout is the preferred form, in time.Format terms: UTC with
// millisecond precision, such as "1985-04-12T23:20:50.123Z".
const DatetimeLayout = "2006-01-02T15:04:05.000Z"

// ParseDatetime validates s as a Datetime, strictly.
func ParseDatetime(s string) (Datetime, error) {
	if _, reason := parseDatetime(s); reason != "" {
		return "", invalid("parse datetime", s, reason)
	}
	return Datetime(s), nil
}

// NewDatetime returns t in the preferred form (UTC, milliseconds). Times
// outside years 0 to 9999 do not produce valid Datetimes.
func NewDatetime(t time.Time) Datetime {
	return Datetime(t.UTC().Format(DatetimeLayout))
}

// DatetimeNow returns the current time in the preferred form.
func DatetimeNow() Datetime { return NewDatetime(time.Now()) }

// Time returns the instant d names, in UTC, or the zero time if d is not
// valid. Digits of the fraction beyond nanoseconds are dropped.
func (d Datetime) Time() time.Time {
	t, _ := parseDatetime(string(d))
	return t
}

// The byte offsets of the fixed part, "YYYY-MM-DDTHH:MM:SS".
const (
	dtYear, dtMonth, dtDay, dtHour, dtMinute, dtSecond = 0, 5, 8, 11, 14, 17
	dtFixedLen                                         = 19
)

// parseDatetime returns the instant s names, in UTC, or why s is not a
// strict Datetime.
func parseDatetime(s string) (time.Time, string) {
	if len(s) > MaxDatetimeLen {
		return time.Time{}, "longer than 64 bytes"
	}
	if len(s) < dtFixedLen+1 || !fixedSeparatorsOK(s) {
		return time.Time{}, `not of the form "YYYY-MM-DDTHH:MM:SS[.fff](Z|±hh:mm)"`
	}
	year, ok1 := digits(s, dtYear, 4)
	month, ok2 := digits(s, dtMonth, 2)
	day, ok3 := digits(s, dtDay, 2)
	hour, ok4 := digits(s, dtHour, 2)
	minute, ok5 := digits(s, dtMinute, 2)
	second, ok6 := digits(s, dtSecond, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, "date and time fields must be zero-padded digits"
	}
	nanos, rest, reason := parseFraction(s[dtFixedLen:])
	if reason != "" {
		return time.Time{}, reason
	}
	offset, reason := parseOffset(rest)
	if reason != "" {
		return time.Time{}, reason
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, "date or time field out of range"
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nanos, time.UTC)
	t = t.Add(-time.Duration(offset) * time.Second)
	if t.Year() < 0 {
		return time.Time{}, "before year 0"
	}
	return t, ""
}

// fixedSeparatorsOK checks the punctuation of "YYYY-MM-DDTHH:MM:SS".
func fixedSeparatorsOK(s string) bool {
	return s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':'
}

// digits reads n decimal digits of s starting at i.
func digits(s string, i, n int) (int, bool) {
	v := 0
	for j := i; j < i+n; j++ {
		if !isDigit(s[j]) {
			return 0, false
		}
		v = v*10 + int(s[j]-'0')
	}
	return v, true
}

// parseFraction reads an optional "." and one or more digits from the front
// of s, returning nanoseconds and the rest of s.
func parseFraction(s string) (nanos int, rest string, reason string) {
	if s == "" || s[0] != '.' {
		return 0, s, ""
	}
	i, scale := 1, 100_000_000
	for i < len(s) && isDigit(s[i]) {
		nanos += int(s[i]-'0') * scale
		scale /= 10
		i++
	}
	if i == 1 {
		return 0, "", "fraction has no digits"
	}
	return nanos, s[i:], ""
}

// parseOffset reads the time zone, "Z" or "±hh:mm", which must be all of s,
// and returns it in seconds east of UTC.
func parseOffset(s string) (int, string) {
	const bad = `time zone must be "Z" or "+hh:mm" / "-hh:mm"`
	if s == "Z" {
		return 0, ""
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, bad
	}
	h, ok1 := digits(s, 1, 2)
	m, ok2 := digits(s, 4, 2)
	switch {
	case !ok1 || !ok2:
		return 0, bad
	case h > 23 || m > 59:
		return 0, "time zone offset out of range"
	case s == "-00:00":
		return 0, `"-00:00" is not allowed; UTC is "Z" or "+00:00"`
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off, ""
}

// daysIn returns the number of days in a month of the proleptic Gregorian
// calendar.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// lenientLayouts are the forms ParseDatetimeLenient also accepts, tried in
// order against the upper-cased, trimmed input.
var lenientLayouts = [...]string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
}

// ParseDatetimeLenient accepts what ParseDatetime does, unchanged, and also
// common near misses seen in the wild: a missing time zone (taken as UTC),
// "-00:00" or "±hhmm" offsets, lower-case "t" or "z", a space for "T",
// missing seconds and surrounding whitespace. A near miss is returned
// rewritten in the preferred form (UTC, milliseconds).
func ParseDatetimeLenient(s string) (Datetime, error) {
	if _, reason := parseDatetime(s); reason == "" {
		return Datetime(s), nil
	}
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, layout := range lenientLayouts {
		t, err := time.Parse(layout, u)
		if err != nil {
			continue
		}
		d := NewDatetime(t)
		if _, reason := parseDatetime(string(d)); reason == "" {
			return d, nil
		}
	}
	return "", invalid("parse datetime leniently", s, "not a recognisable datetime")
}

func (d Datetime) String() string { return string(d) }

// MarshalText implements encoding.TextMarshaler.
func (d Datetime) MarshalText() ([]byte, error) { return []byte(d), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text
// strictly.
func (d *Datetime) UnmarshalText(text []byte) error {
	v, err := ParseDatetime(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
