package identity

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// unreadable fails the test if anything reads it.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("body was read")
	return 0, io.EOF
}

func TestReadLimited(t *testing.T) {
	t.Run("declared too large, not read", func(t *testing.T) {
		resp := &http.Response{ContentLength: 11, Body: io.NopCloser(unreadable{t})}
		_, err := readLimited(resp, 10)
		wantKind(t, err, rhizome.TooLarge)
	})
	t.Run("undeclared too large", func(t *testing.T) {
		resp := &http.Response{ContentLength: -1, Body: io.NopCloser(strings.NewReader(strings.Repeat("x", 11)))}
		_, err := readLimited(resp, 10)
		wantKind(t, err, rhizome.TooLarge)
	})
	t.Run("at the limit", func(t *testing.T) {
		resp := &http.Response{ContentLength: -1, Body: io.NopCloser(strings.NewReader(strings.Repeat("x", 10)))}
		b, err := readLimited(resp, 10)
		if err != nil || len(b) != 10 {
			t.Fatalf("got %d bytes, %v", len(b), err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		resp := &http.Response{ContentLength: -1, Body: io.NopCloser(io.MultiReader(strings.NewReader("x"), errReader{}))}
		_, err := readLimited(resp, 10)
		wantKind(t, err, rhizome.Unavailable)
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestStatusError(t *testing.T) {
	cases := map[int]rhizome.Kind{
		200: rhizome.Other, 204: rhizome.Other,
		301: rhizome.NotFound, 302: rhizome.NotFound, 400: rhizome.NotFound, 403: rhizome.NotFound,
		404: rhizome.NotFound, 410: rhizome.NotFound,
		408: rhizome.Unavailable, 429: rhizome.Unavailable, 500: rhizome.Unavailable, 502: rhizome.Unavailable,
	}
	for code, kind := range cases {
		err := statusError(&http.Response{StatusCode: code, Status: http.StatusText(code)})
		if kind == rhizome.Other {
			if err != nil {
				t.Errorf("%d: %v", code, err)
			}
			continue
		}
		if got := rhizome.KindOf(err); got != kind {
			t.Errorf("%d: kind %v, want %v", code, got, kind)
		}
		if gone := errors.Is(err, ErrDeactivated); gone != (code == 410) {
			t.Errorf("%d: wraps ErrDeactivated: %v", code, gone)
		}
	}
}

func TestTransportError(t *testing.T) {
	cases := []struct {
		name string
		err  error
		kind rhizome.Kind
	}{
		{"guard refusal keeps its kind", rhizome.E("dial", rhizome.Forbidden, "no"), rhizome.Forbidden},
		{"timeout", timeoutErr{}, rhizome.Unavailable},
		{"other", errors.New("connection refused"), rhizome.Unavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantKind(t, transportError(c.err), c.kind)
		})
	}
	if !contains(transportError(timeoutErr{}), "timed out") {
		t.Fatal("timeout not named")
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestCache(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newCache[string, int](2)
	c.put("a", 1, nil, now.Add(time.Second))
	c.put("b", 0, errors.New("no b"), now.Add(time.Second))
	if v, err, ok := c.get("a", now); !ok || err != nil || v != 1 {
		t.Fatalf("a: %v %v %v", v, err, ok)
	}
	if _, err, ok := c.get("b", now); !ok || err == nil {
		t.Fatalf("b: negative entry lost: %v %v", err, ok)
	}
	c.put("a", 2, nil, now.Add(time.Second)) // replaces, no growth
	if c.len() != 2 {
		t.Fatalf("len %d after replace", c.len())
	}
	c.put("c", 3, nil, now.Add(time.Second)) // evicts b, the least recently used
	if _, _, ok := c.get("b", now); ok {
		t.Fatal("b survived eviction")
	}
	if _, _, ok := c.get("a", now.Add(time.Second)); ok {
		t.Fatal("a survived expiry")
	}
	if c.len() != 1 {
		t.Fatalf("expired entry kept: len %d", c.len())
	}
	if v, ok := c.delete("c"); !ok || v != 3 {
		t.Fatalf("delete c: %v %v", v, ok)
	}
	if _, ok := c.delete("c"); ok {
		t.Fatal("deleted twice")
	}
	off := newCache[string, int](0)
	off.put("a", 1, nil, now.Add(time.Hour))
	if _, _, ok := off.get("a", now); ok {
		t.Fatal("a zero-size cache stored an entry")
	}
}
