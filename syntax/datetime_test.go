package syntax

import (
	"testing"
	"time"
)

func TestDatetime_Time(t *testing.T) {
	cases := map[string]time.Time{
		"1985-04-12T23:20:50.123Z":            time.Date(1985, 4, 12, 23, 20, 50, 123_000_000, time.UTC),
		"1985-04-12T23:20:50Z":                time.Date(1985, 4, 12, 23, 20, 50, 0, time.UTC),
		"1985-04-12T23:20:50.123-07:00":       time.Date(1985, 4, 13, 6, 20, 50, 123_000_000, time.UTC),
		"1985-04-12T23:20:50.123+01:45":       time.Date(1985, 4, 12, 21, 35, 50, 123_000_000, time.UTC),
		"1985-04-12T23:20:50.1234567891234Z":  time.Date(1985, 4, 12, 23, 20, 50, 123_456_789, time.UTC),
		"2024-02-29T00:00:00.000Z":            time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		"0000-01-01T00:00:00.000Z":            time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		"0000-01-01T00:00:00-01:00":           time.Date(0, 1, 1, 1, 0, 0, 0, time.UTC),
		"9999-12-31T23:59:59.999999999+00:00": time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			d, err := ParseDatetime(in)
			if err != nil {
				t.Fatal(err)
			}
			got := d.Time()
			if !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("Time() = %v, want %v", got, want)
			}
		})
	}
}

func TestParseDatetime_Calendar(t *testing.T) {
	cases := map[string]bool{
		"2023-02-29T00:00:00Z":      false,
		"2024-02-29T00:00:00Z":      true,
		"1900-02-29T00:00:00Z":      false,
		"2000-02-29T00:00:00Z":      true,
		"2024-04-31T00:00:00Z":      false,
		"2024-12-31T23:59:59Z":      true,
		"2024-12-31T23:59:60Z":      false,
		"2024-12-31T24:00:00Z":      false,
		"2024-01-01T00:00:00+24:00": false,
		"2024-01-01T00:00:00+23:60": false,
		"2024-01-01T00:00:00+23:59": true,
		"2024-01-01T00:00:00.Z":     false,
		"2024-01-01T00:00:00ZZ":     false,
		"":                          false,
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			_, err := ParseDatetime(in)
			if (err == nil) != want {
				t.Errorf("err = %v, want valid=%v", err, want)
			}
		})
	}
}

func TestDatetime_TimeOfUnchecked(t *testing.T) {
	if got := Datetime("yesterday").Time(); !got.IsZero() {
		t.Errorf("Time() of invalid = %v, want zero", got)
	}
}

func TestNewDatetime(t *testing.T) {
	at := time.Date(1985, 4, 12, 23, 20, 50, 123_456_789, time.FixedZone("x", -7*3600))
	d := NewDatetime(at)
	if d != "1985-04-13T06:20:50.123Z" {
		t.Errorf("NewDatetime = %q", d)
	}
	if _, err := ParseDatetime(string(DatetimeNow())); err != nil {
		t.Errorf("DatetimeNow() does not parse: %v", err)
	}
}

func TestParseDatetimeLenient(t *testing.T) {
	cases := map[string]string{
		"1985-04-12T23:20:50.123Z":      "1985-04-12T23:20:50.123Z", // strict: unchanged
		"1985-04-12T23:20:50.1Z":        "1985-04-12T23:20:50.1Z",
		"1985-04-12T23:20:50.123-00:00": "1985-04-12T23:20:50.123Z",
		"1985-04-12T23:20:50.123+0000":  "1985-04-12T23:20:50.123Z",
		"1985-04-12T23:20:50.123-0700":  "1985-04-13T06:20:50.123Z",
		"1985-04-12T23:20:50.123":       "1985-04-12T23:20:50.123Z",
		"1985-04-12T23:20:50":           "1985-04-12T23:20:50.000Z",
		"1985-04-12t23:20:50.123z":      "1985-04-12T23:20:50.123Z",
		"1985-04-12 23:20:50.123Z":      "1985-04-12T23:20:50.123Z",
		" 1985-04-12T23:20:50.123Z ":    "1985-04-12T23:20:50.123Z",
		"1985-04-12T23:20Z":             "1985-04-12T23:20:00.000Z",
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			got, err := ParseDatetimeLenient(in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("got %q, want %q", got, want)
			}
			if _, err := ParseDatetime(string(got)); err != nil {
				t.Errorf("result is not strict: %v", err)
			}
		})
	}
	for _, in := range []string{"", "yesterday", "1985-13-12T23:20:50Z", "0000-01-01T00:00:00+01:00", "1985-04-12"} {
		if got, err := ParseDatetimeLenient(in); err == nil {
			t.Errorf("ParseDatetimeLenient(%q) = %q, want error", in, got)
		}
	}
}
