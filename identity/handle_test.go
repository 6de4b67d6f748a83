package identity

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

const aliceHandle = syntax.Handle("alice.test")

func TestResolver_ResolveHandle(t *testing.T) {
	cases := []struct {
		name   string
		txt    []string // TXT records of _atproto.alice.test, if not nil
		txtErr error
		web    *reply // served at alice.test's well-known path, if not nil
		reject bool
		want   syntax.DID
		kind   rhizome.Kind // when want is ""
	}{
		{name: "dns", txt: []string{"did=" + string(alicePLC)}, want: alicePLC},
		{name: "dns ignores other records", txt: []string{"v=spf1 -all", "did=" + string(alicePLC), "x"}, want: alicePLC},
		{name: "dns duplicate record", txt: []string{"did=" + string(alicePLC), "did= " + string(alicePLC)}, want: alicePLC},
		{name: "dns conflict", txt: []string{"did=" + string(alicePLC), "did=" + string(bobPLC)}, kind: rhizome.Conflict},
		{name: "dns conflict beats https", txt: []string{"did=" + string(alicePLC), "did=" + string(bobPLC)},
			web: &reply{body: string(alicePLC)}, kind: rhizome.Conflict},
		{name: "dns invalid did", txt: []string{"did=nope"}, kind: rhizome.NotFound},
		{name: "https", web: &reply{body: string(alicePLC)}, want: alicePLC},
		{name: "https trims whitespace", web: &reply{body: "\n  " + string(alicePLC) + " \r\n"}, want: alicePLC},
		{name: "https invalid did", web: &reply{body: "hello"}, kind: rhizome.NotFound},
		{name: "https two lines", web: &reply{body: string(alicePLC) + "\n" + string(bobPLC)}, kind: rhizome.NotFound},
		{name: "https oversized", web: &reply{body: string(alicePLC) + strings.Repeat(" ", MaxWellKnownSize)}, kind: rhizome.NotFound},
		{name: "https server error", web: &reply{status: 500}, kind: rhizome.Unavailable},
		{name: "both agree", txt: []string{"did=" + string(alicePLC)}, web: &reply{body: string(alicePLC)}, reject: true, want: alicePLC},
		{name: "disagree, dns preferred", txt: []string{"did=" + string(alicePLC)}, web: &reply{body: string(bobPLC)}, want: alicePLC},
		{name: "disagree, rejected", txt: []string{"did=" + string(alicePLC)}, web: &reply{body: string(bobPLC)}, reject: true, kind: rhizome.Conflict},
		{name: "rejecting, https fails", txt: []string{"did=" + string(alicePLC)}, web: &reply{status: 500}, reject: true, want: alicePLC},
		{name: "neither", kind: rhizome.NotFound},
		{name: "dns failure, no https", txtErr: &net.DNSError{Err: "server misbehaving", IsTemporary: true}, kind: rhizome.Unavailable},
		{name: "dns failure, https ok", txtErr: errors.New("boom"), web: &reply{body: string(alicePLC)}, want: alicePLC},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			if c.txt != nil {
				w.setTXT("_atproto.alice.test.", c.txt...)
			}
			if c.txtErr != nil {
				w.setTXTErr("_atproto.alice.test.", c.txtErr)
			}
			if c.web != nil {
				w.set(wellKnownPath("alice.test"), *c.web)
			}
			r := w.resolver(func(cfg *Config) { cfg.RejectHandleConflicts = c.reject })
			got, err := r.ResolveHandle(context.Background(), aliceHandle)
			if c.want == "" {
				wantKind(t, err, c.kind)
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestResolver_ResolveHandle_Input(t *testing.T) {
	w := newWorld(t)
	w.setTXT("_atproto.alice.test.", "did="+string(alicePLC))
	r := w.resolver(nil)
	t.Run("normalised", func(t *testing.T) {
		got, err := r.ResolveHandle(context.Background(), "Alice.TEST")
		if err != nil || got != alicePLC {
			t.Fatalf("got %q, %v", got, err)
		}
		if w.dnsHitsOf("_atproto.alice.test.") != 1 {
			t.Fatal("lookup was not of the lower-cased name")
		}
	})
	for _, h := range []syntax.Handle{"laptop.local", "blah.arpa", "handle.invalid", "x.onion", "a.localhost", "not a handle", "", "john.0"} {
		t.Run("rejected "+string(h), func(t *testing.T) {
			_, err := r.ResolveHandle(context.Background(), h)
			wantKind(t, err, rhizome.Invalid)
		})
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// Only alice.test may have been looked up (its DNS and HTTPS lookups
	// race, so the HTTPS one may or may not have started).
	for _, hits := range []map[string]int{w.hits, w.dnsHits} {
		for name := range hits {
			if !strings.Contains(name, "alice.test") {
				t.Fatalf("rejected handles were looked up: %v %v", w.hits, w.dnsHits)
			}
		}
	}
}

// A handle too long for a DNS name still resolves over HTTPS.
func TestResolver_ResolveHandle_Long(t *testing.T) {
	w := newWorld(t)
	label := strings.Repeat("a", 61)
	h := syntax.Handle(label + "." + label + "." + label + "." + label + ".test") // 252 bytes
	w.set(wellKnownPath(string(h)), reply{body: string(alicePLC)})
	got, err := w.resolver(nil).ResolveHandle(context.Background(), h)
	if err != nil || got != alicePLC {
		t.Fatalf("got %q, %v", got, err)
	}
	if n := w.dnsHitsOf("_atproto." + string(h) + "."); n != 0 {
		t.Fatalf("DNS asked for an over-long name %d times", n)
	}
}

func TestResolver_ResolveHandle_Redirects(t *testing.T) {
	w := newWorld(t)
	w.set(wellKnownPath("alice.test"), reply{status: 301, header: map[string]string{"Location": "/moved"}})
	w.set("/moved", reply{body: string(alicePLC)})
	// loop.test redirects to /loop/1, which redirects to /loop/2, and so
	// on; /loop/N would answer, one hop too far.
	w.set(wellKnownPath("loop.test"), reply{status: 302, header: map[string]string{"Location": "/loop/1"}})
	for i := 1; i <= maxRedirects; i++ {
		w.set(fmt.Sprint("/loop/", i), reply{status: 302, header: map[string]string{"Location": fmt.Sprint("/loop/", i+1)}})
	}
	tooFar := fmt.Sprint("/loop/", maxRedirects+1)
	w.set(tooFar, reply{body: string(bobPLC)})
	r := w.resolver(nil)

	t.Run("followed", func(t *testing.T) {
		got, err := r.ResolveHandle(context.Background(), aliceHandle)
		if err != nil || got != alicePLC {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("too many", func(t *testing.T) {
		_, err := r.ResolveHandle(context.Background(), "loop.test")
		wantKind(t, err, rhizome.NotFound)
		if !contains(err, "redirects") {
			t.Fatalf("error does not blame redirects: %v", err)
		}
		if w.hitsOf(fmt.Sprint("/loop/", maxRedirects)) != 1 {
			t.Fatalf("redirect %d was not followed", maxRedirects)
		}
		if n := w.hitsOf(tooFar); n != 0 {
			t.Fatalf("redirect %d was followed", maxRedirects+1)
		}
	})
}

func TestFewRedirects_Downgrade(t *testing.T) {
	from := mustRequest(t, "https://alice.test/.well-known/atproto-did")
	to := mustRequest(t, "http://alice.test/.well-known/atproto-did")
	wantKind(t, fewRedirects(to, []*http.Request{from}), rhizome.NotFound)
	if err := fewRedirects(mustRequest(t, "https://other.test/x"), []*http.Request{from}); err != nil {
		t.Fatalf("https to https refused: %v", err)
	}
}

func TestResolver_ResolveHandle_Cache(t *testing.T) {
	w := newWorld(t)
	clock := newFakeClock()
	w.setTXT("_atproto.alice.test.", "did="+string(alicePLC))
	r := w.resolver(func(cfg *Config) { cfg.Now = clock.Now; cfg.CacheTTL = time.Hour; cfg.NegativeTTL = time.Minute })
	ctx := context.Background()
	for range 3 {
		if _, err := r.ResolveHandle(ctx, aliceHandle); err != nil {
			t.Fatal(err)
		}
		_, err := r.ResolveHandle(ctx, "nobody.test")
		wantKind(t, err, rhizome.NotFound)
	}
	if a, n := w.dnsHitsOf("_atproto.alice.test."), w.dnsHitsOf("_atproto.nobody.test."); a != 1 || n != 1 {
		t.Fatalf("lookups: alice %d, nobody %d; want 1 each", a, n)
	}
	clock.Advance(time.Minute)
	_, _ = r.ResolveHandle(ctx, "nobody.test")
	_, _ = r.ResolveHandle(ctx, aliceHandle)
	if a, n := w.dnsHitsOf("_atproto.alice.test."), w.dnsHitsOf("_atproto.nobody.test."); a != 1 || n != 2 {
		t.Fatalf("after a minute: alice %d (want 1), nobody %d (want 2)", a, n)
	}
	r.Purge("ALICE.test")
	_, _ = r.ResolveHandle(ctx, aliceHandle)
	if a := w.dnsHitsOf("_atproto.alice.test."); a != 2 {
		t.Fatalf("after purge: %d lookups, want 2", a)
	}
}

func TestResolver_ResolveHandle_Timeout(t *testing.T) {
	w := newWorld(t)
	w.set(wellKnownPath("alice.test"), reply{body: string(alicePLC), delay: 5 * time.Second})
	r := w.resolver(func(cfg *Config) { cfg.Timeout = 100 * time.Millisecond })
	start := time.Now()
	_, err := r.ResolveHandle(context.Background(), aliceHandle)
	wantKind(t, err, rhizome.Unavailable)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("gave up after %v", d)
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
