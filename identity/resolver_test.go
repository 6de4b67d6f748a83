package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

func TestNewResolver(t *testing.T) {
	for _, u := range []string{"ftp://plc.example.com", "plc.example.com", "http://", "://x"} {
		t.Run(u, func(t *testing.T) {
			_, err := NewResolver(Config{PLCURL: u})
			wantKind(t, err, rhizome.Invalid)
		})
	}
	t.Run("defaults", func(t *testing.T) {
		r, err := NewResolver(Config{})
		if err != nil {
			t.Fatal(err)
		}
		if r.plcURL != DefaultPLCURL || r.timeout != DefaultTimeout || r.ttl != DefaultCacheTTL || r.docs.max != DefaultCacheSize {
			t.Fatalf("defaults not applied: %q %v %v %d", r.plcURL, r.timeout, r.ttl, r.docs.max)
		}
		if got := r.hostURL("alice.test"); got != "https://alice.test" {
			t.Fatalf("host URL %q", got)
		}
	})
}

func TestResolver_ResolveDID(t *testing.T) {
	w := newWorld(t)
	key := newKey(t)
	w.publish(alicePLC, "alice.test", key)
	w.publish(carolWeb, "carol.test", key)
	r := w.resolver(nil)
	ctx := context.Background()

	t.Run("plc", func(t *testing.T) {
		d, err := r.ResolveDID(ctx, alicePLC)
		if err != nil {
			t.Fatalf("resolve: %v", err)
		}
		if d.DID != alicePLC || d.Handle != "alice.test" || !d.SigningKey.Equal(key) || d.PDS != "https://pds.example.com" {
			t.Fatalf("got %+v", d)
		}
	})
	t.Run("web", func(t *testing.T) {
		d, err := r.ResolveDID(ctx, carolWeb)
		if err != nil {
			t.Fatalf("resolve: %v", err)
		}
		if d.DID != carolWeb || d.Handle != "carol.test" {
			t.Fatalf("got %+v", d)
		}
		if w.hitsOf(didWebPath("carol.test")) != 1 {
			t.Fatal("did:web document not fetched from its host")
		}
	})
}

func TestResolver_ResolveDID_Failures(t *testing.T) {
	w := newWorld(t)
	big := fmt.Sprintf(`{"id":%q,"pad":"%s"}`, alicePLC, strings.Repeat("x", MaxDocSize))
	cases := []struct {
		name string
		did  syntax.DID
		rep  *reply // served at the DID's path, if not nil
		kind rhizome.Kind
	}{
		{"not found", alicePLC, nil, rhizome.NotFound},
		{"gone", alicePLC, &reply{status: 410}, rhizome.NotFound},
		{"server error", alicePLC, &reply{status: 503}, rhizome.Unavailable},
		{"rate limited", alicePLC, &reply{status: 429}, rhizome.Unavailable},
		{"mismatched id", alicePLC, &reply{body: fmt.Sprintf(`{"id":%q}`, bobPLC)}, rhizome.Invalid},
		{"malformed", alicePLC, &reply{body: `{"id":`}, rhizome.Invalid},
		{"html", alicePLC, &reply{body: `<html></html>`}, rhizome.Invalid},
		{"oversized with length", alicePLC, &reply{body: big, header: map[string]string{"Content-Length": fmt.Sprint(len(big))}}, rhizome.TooLarge},
		{"oversized chunked", alicePLC, &reply{body: big}, rhizome.TooLarge},
		{"redirect not followed", alicePLC, &reply{status: 302, header: map[string]string{"Location": "/elsewhere"}}, rhizome.NotFound},
		{"web not found", carolWeb, nil, rhizome.NotFound},
		{"web mismatched id", carolWeb, &reply{body: fmt.Sprintf(`{"id":%q}`, alicePLC)}, rhizome.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := docPath(c.did)
			if c.rep != nil {
				w.set(path, *c.rep)
			} else {
				w.set(path, reply{status: 404})
			}
			before := w.hitsOf(path)
			d, err := w.resolver(nil).ResolveDID(context.Background(), c.did)
			if d != nil {
				t.Fatalf("got a document: %+v", d)
			}
			wantKind(t, err, c.kind)
			if w.hitsOf(path) != before+1 {
				t.Fatalf("server hit %d times, want 1", w.hitsOf(path)-before)
			}
		})
	}
	if w.hitsOf("/elsewhere") != 0 {
		t.Fatal("a redirect was followed")
	}
}

// A tombstoned DID (410) is NotFound wrapping ErrDeactivated, from the
// cache too; a DID that never existed (404) does not wrap it.
func TestResolver_ResolveDID_Deactivated(t *testing.T) {
	w := newWorld(t)
	w.set(plcPath(alicePLC), reply{status: 410})
	w.set(plcPath(bobPLC), reply{status: 404})
	r := w.resolver(nil)
	for i := 0; i < 2; i++ {
		_, err := r.ResolveDID(context.Background(), alicePLC)
		wantKind(t, err, rhizome.NotFound)
		if !errors.Is(err, ErrDeactivated) {
			t.Fatalf("try %d: %v does not wrap ErrDeactivated", i, err)
		}
	}
	if n := w.hitsOf(plcPath(alicePLC)); n != 1 {
		t.Fatalf("%d requests, want 1 (the failure is cached)", n)
	}
	_, err := r.ResolveDID(context.Background(), bobPLC)
	wantKind(t, err, rhizome.NotFound)
	if errors.Is(err, ErrDeactivated) {
		t.Fatalf("404 reported as deactivated: %v", err)
	}
}

func docPath(did syntax.DID) string {
	if did.Method() == "web" {
		return didWebPath(did.Identifier())
	}
	return plcPath(did)
}

// Malformed and unsupported DIDs fail without any request.
func TestResolver_ResolveDID_Rejected(t *testing.T) {
	w := newWorld(t)
	cases := []struct {
		did       syntax.DID
		localhost bool
	}{
		{"did:key:zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF", true},
		{"did:plc:short", true},
		{"did:plc:AAAAAAAAAAAAAAAAAAAAAAAA", true},
		{"did:plc:aaaaaaaaaaaaaaaaaaaaaaa1", true},
		{"did:plc:aaaaaaaaaaaaaaaaaaaaaaaaa", true},
		{"did:plc:..%2f..%2faaaaaaaaaaaaaa", true},
		{"did:web:example.com:user:alice", true},
		{"did:web:example.com%3A8443", true},
		{"did:web:localhost", false},
		{"did:web:localhost%3A2583", false},
		{"did:web:localhost%3A0", true},
		{"did:web:localhost%3A65536", true},
		{"did:web:localhost%3A+80", true},
		{"did:web:localhost%3A", true},
		{"did:web:intranet.local", true},
		{"did:web:blah.arpa", true},
		{"did:web:x.onion", true},
		{"did:web:single", true},
		{"did:web:10.0.0.1", true},
		{"did:web:ex%41mple.com", true},
		{"not a did", true},
		{"", true},
	}
	for _, c := range cases {
		t.Run(string(c.did), func(t *testing.T) {
			r := w.resolver(func(cfg *Config) { cfg.AllowLocalhostWeb = c.localhost })
			_, err := r.ResolveDID(context.Background(), c.did)
			wantKind(t, err, rhizome.Invalid)
		})
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.hits) != 0 {
		t.Fatalf("requests were made: %v", w.hits)
	}
}

func TestResolver_ResolveDID_Localhost(t *testing.T) {
	w := newWorld(t)
	did := syntax.DID("did:web:localhost%3A2583")
	w.set(didWebPath("localhost:2583"), reply{body: fmt.Sprintf(`{"id":%q}`, did)})
	r := w.resolver(func(cfg *Config) { cfg.AllowLocalhostWeb = true })
	d, err := r.ResolveDID(context.Background(), did)
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	if d.DID != did {
		t.Fatalf("got %q", d.DID)
	}
	if got := defaultHostURL("localhost:2583"); got != "http://localhost:2583" {
		t.Fatalf("default host URL %q", got)
	}
}

func TestResolver_Timeout(t *testing.T) {
	w := newWorld(t)
	w.set(plcPath(alicePLC), reply{body: fmt.Sprintf(`{"id":%q}`, alicePLC), delay: 5 * time.Second})
	r := w.resolver(func(cfg *Config) { cfg.Timeout = 100 * time.Millisecond })
	for i := 1; i <= 2; i++ {
		start := time.Now()
		_, err := r.ResolveDID(context.Background(), alicePLC)
		wantKind(t, err, rhizome.Unavailable)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("gave up after %v, want about 100ms", d)
		}
		if got := w.hitsOf(plcPath(alicePLC)); got != i {
			t.Fatalf("attempt %d: %d hits; a timeout must not be cached", i, got)
		}
	}
}

func TestResolver_Cancelled(t *testing.T) {
	w := newWorld(t)
	w.set(plcPath(alicePLC), reply{body: fmt.Sprintf(`{"id":%q}`, alicePLC), delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := w.resolver(nil).ResolveDID(ctx, alicePLC)
	wantKind(t, err, rhizome.Unavailable)
}

func TestResolver_Cache(t *testing.T) {
	key := newKey(t)
	ctx := context.Background()

	t.Run("hit", func(t *testing.T) {
		w := newWorld(t)
		w.publish(alicePLC, "alice.test", key)
		r := w.resolver(nil)
		d1, err1 := r.ResolveDID(ctx, alicePLC)
		d2, err2 := r.ResolveDID(ctx, alicePLC)
		if err1 != nil || err2 != nil || d1 != d2 {
			t.Fatalf("resolves: %v %v, same doc %v", err1, err2, d1 == d2)
		}
		if n := w.hitsOf(plcPath(alicePLC)); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
	})
	t.Run("negative", func(t *testing.T) {
		w := newWorld(t)
		clock := newFakeClock()
		r := w.resolver(func(cfg *Config) { cfg.Now = clock.Now; cfg.NegativeTTL = time.Minute })
		for range 3 {
			_, err := r.ResolveDID(ctx, alicePLC)
			wantKind(t, err, rhizome.NotFound)
		}
		if n := w.hitsOf(plcPath(alicePLC)); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
		w.publish(alicePLC, "alice.test", key)
		clock.Advance(time.Minute)
		if _, err := r.ResolveDID(ctx, alicePLC); err != nil {
			t.Fatalf("after negative TTL: %v", err)
		}
	})
	t.Run("expiry", func(t *testing.T) {
		w := newWorld(t)
		w.publish(alicePLC, "alice.test", key)
		clock := newFakeClock()
		r := w.resolver(func(cfg *Config) { cfg.Now = clock.Now; cfg.CacheTTL = time.Hour })
		resolveOK(t, r, alicePLC)
		clock.Advance(time.Hour - time.Second)
		resolveOK(t, r, alicePLC)
		if n := w.hitsOf(plcPath(alicePLC)); n != 1 {
			t.Fatalf("before expiry: %d requests, want 1", n)
		}
		w.publish(alicePLC, "alice2.test", key)
		clock.Advance(time.Second)
		if d := resolveOK(t, r, alicePLC); d.Handle != "alice2.test" {
			t.Fatalf("after expiry: handle %q, want the new one", d.Handle)
		}
		if n := w.hitsOf(plcPath(alicePLC)); n != 2 {
			t.Fatalf("after expiry: %d requests, want 2", n)
		}
	})
	t.Run("purge", func(t *testing.T) {
		w := newWorld(t)
		w.publish(alicePLC, "alice.test", key)
		r := w.resolver(nil)
		resolveOK(t, r, alicePLC)
		r.Purge(alicePLC.AtIdentifier())
		resolveOK(t, r, alicePLC)
		if n := w.hitsOf(plcPath(alicePLC)); n != 2 {
			t.Fatalf("%d requests, want 2", n)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		w := newWorld(t)
		w.publish(alicePLC, "alice.test", key)
		w.publish(bobPLC, "bob.test", key)
		w.publish(carolWeb, "carol.test", key)
		r := w.resolver(func(cfg *Config) { cfg.CacheSize = 2 })
		resolveOK(t, r, alicePLC)
		resolveOK(t, r, bobPLC)
		resolveOK(t, r, alicePLC) // bob is now least recently used
		resolveOK(t, r, carolWeb) // evicts bob
		if r.docs.len() != 2 {
			t.Fatalf("cache holds %d entries, want 2", r.docs.len())
		}
		resolveOK(t, r, alicePLC)
		resolveOK(t, r, bobPLC)
		if a, b := w.hitsOf(plcPath(alicePLC)), w.hitsOf(plcPath(bobPLC)); a != 1 || b != 2 {
			t.Fatalf("requests: alice %d (want 1), bob %d (want 2)", a, b)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		w := newWorld(t)
		w.publish(alicePLC, "alice.test", key)
		r := w.resolver(func(cfg *Config) { cfg.CacheSize = -1 })
		resolveOK(t, r, alicePLC)
		resolveOK(t, r, alicePLC)
		if n := w.hitsOf(plcPath(alicePLC)); n != 2 {
			t.Fatalf("%d requests, want 2", n)
		}
	})
}

func TestResolver_Concurrent(t *testing.T) {
	w := newWorld(t)
	key := newKey(t)
	dids := []syntax.DID{alicePLC, bobPLC, carolWeb}
	for _, d := range dids {
		w.publish(d, "", key)
	}
	r := w.resolver(func(cfg *Config) { cfg.CacheSize = 2 })
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := range 60 {
		wg.Go(func() {
			did := dids[i%len(dids)]
			d, err := r.ResolveDID(context.Background(), did)
			if err == nil && d.DID != did {
				err = fmt.Errorf("asked %s, got %s", did, d.DID)
			}
			if i%7 == 0 {
				r.Purge(did.AtIdentifier())
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func resolveOK(t *testing.T, r *Resolver, did syntax.DID) *Doc {
	t.Helper()
	d, err := r.ResolveDID(context.Background(), did)
	if err != nil {
		t.Fatalf("resolve %s: %v", did, err)
	}
	return d
}
