package servertest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/server"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Opener returns an empty store for one test.
type Opener func(t *testing.T) server.Store

// Run checks a server.Store against the contract's documented semantics.
func Run(t *testing.T, open Opener) {
	t.Run("Request", func(t *testing.T) { requests(t, open) })
	t.Run("TakeCode", func(t *testing.T) { takeCode(t, open) })
	t.Run("Family", func(t *testing.T) { families(t, open) })
	t.Run("Rotate", func(t *testing.T) { rotate(t, open) })
	t.Run("Revoke", func(t *testing.T) { revoke(t, open) })
	t.Run("PruneFamilies", func(t *testing.T) { prune(t, open) })
}

// racers is how many goroutines race for one thing.
const racers = 8

// now is the wall clock at millisecond precision, which stores keep.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// newRequest returns a request with every field set, expiring in a minute.
func newRequest(n int) *server.Request {
	return &server.Request{
		ID: fmt.Sprintf("req-%d", n), ClientID: "https://app.example/client-metadata.json",
		RedirectURI: "https://app.example/callback", State: fmt.Sprintf("state-%d", n),
		Scope: "atproto transition:generic", CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		ResponseMode: "query", JKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", LoginHint: "alice.test",
		ExpiresAt: now().Add(time.Minute),
	}
}

// confidential returns r as a confidential client's PAR leaves it.
func confidential(r *server.Request) *server.Request {
	c := *r
	c.ClientJKT = "kB3Zq7vYp2l0mQ8cRr5sWn1xT4uE6oJ9aHfGdLiK0Ns"
	return &c
}

// signedIn returns r as the sign-in and approval steps leave it.
func signedIn(r *server.Request, codeHash string) *server.Request {
	c := *r
	c.DID, c.Handle, c.Device, c.CodeHash = "did:plc:alice", "alice.test", "device-hash", codeHash
	return &c
}

// wantRequest compares requests field by field.
func wantRequest(t *testing.T, got, want *server.Request) {
	t.Helper()
	g, w := *got, *want
	if !g.ExpiresAt.Equal(w.ExpiresAt) {
		t.Fatalf("request expires at %v, want %v", g.ExpiresAt, w.ExpiresAt)
	}
	g.ExpiresAt = w.ExpiresAt
	if g != w {
		t.Fatalf("got request %+v, want %+v", g, w)
	}
}

// wantKind fails unless err is of kind k.
func wantKind(t *testing.T, err error, k rhizome.Kind, what string) {
	t.Helper()
	if !rhizome.Is(err, k) {
		t.Fatalf("%s: error %v, want kind %v", what, err, k)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func requests(t *testing.T, open Opener) {
	t.Run("round trip", func(t *testing.T) {
		s, r := open(t), newRequest(1)
		must(t, s.PutRequest(t.Context(), r))
		got, err := s.Request(t.Context(), r.ID)
		must(t, err)
		wantRequest(t, got, r)
	})
	t.Run("missing is NotFound", func(t *testing.T) {
		_, err := open(t).Request(t.Context(), "nope")
		wantKind(t, err, rhizome.NotFound, "reading a missing request")
	})
	t.Run("put replaces", func(t *testing.T) {
		s, r := open(t), newRequest(1)
		must(t, s.PutRequest(t.Context(), r))
		next := signedIn(r, "code-hash-1")
		next.ExpiresAt = now().Add(2 * time.Minute)
		must(t, s.PutRequest(t.Context(), next))
		got, err := s.Request(t.Context(), r.ID)
		must(t, err)
		wantRequest(t, got, next)
	})
	t.Run("returns a copy", func(t *testing.T) {
		s, r := open(t), newRequest(1)
		must(t, s.PutRequest(t.Context(), r))
		r.State = "changed after put"
		got, err := s.Request(t.Context(), r.ID)
		must(t, err)
		got.Scope = "changed after read"
		again, err := s.Request(t.Context(), r.ID)
		must(t, err)
		if again.State != "state-1" || again.Scope != "atproto transition:generic" {
			t.Fatalf("store shares memory with its callers: %+v", again)
		}
	})
	t.Run("delete", func(t *testing.T) {
		s, r, other := open(t), newRequest(1), newRequest(2)
		must(t, s.PutRequest(t.Context(), r))
		must(t, s.PutRequest(t.Context(), other))
		must(t, s.DeleteRequest(t.Context(), r.ID))
		_, err := s.Request(t.Context(), r.ID)
		wantKind(t, err, rhizome.NotFound, "reading a deleted request")
		must(t, s.DeleteRequest(t.Context(), r.ID))
		must(t, s.DeleteRequest(t.Context(), "never-there"))
		if _, err := s.Request(t.Context(), other.ID); err != nil {
			t.Fatalf("deleting one request lost another: %v", err)
		}
	})
	t.Run("expired is NotFound", func(t *testing.T) {
		s, r := open(t), newRequest(1)
		r.ExpiresAt = now().Add(-time.Second)
		must(t, s.PutRequest(t.Context(), r))
		_, err := s.Request(t.Context(), r.ID)
		wantKind(t, err, rhizome.NotFound, "reading an expired request")
	})
	t.Run("expires in place", func(t *testing.T) {
		s, r := open(t), newRequest(1)
		r.ExpiresAt = now().Add(150 * time.Millisecond)
		must(t, s.PutRequest(t.Context(), r))
		if _, err := s.Request(t.Context(), r.ID); err != nil {
			t.Fatalf("reading a live request: %v", err)
		}
		time.Sleep(time.Until(r.ExpiresAt) + 20*time.Millisecond)
		must(t, s.PutRequest(t.Context(), newRequest(2))) // prunes
		_, err := s.Request(t.Context(), r.ID)
		wantKind(t, err, rhizome.NotFound, "reading a request after its expiry")
		if _, err := s.Request(t.Context(), "req-2"); err != nil {
			t.Fatalf("the request that pruned is gone: %v", err)
		}
	})
}

func takeCode(t *testing.T, open Opener) {
	t.Run("good once", func(t *testing.T) {
		s, r := open(t), signedIn(newRequest(1), "code-hash-1")
		must(t, s.PutRequest(t.Context(), r))
		must(t, s.PutRequest(t.Context(), signedIn(newRequest(2), "code-hash-2")))
		got, err := s.TakeCode(t.Context(), "code-hash-1")
		must(t, err)
		wantRequest(t, got, r)
		_, err = s.TakeCode(t.Context(), "code-hash-1")
		wantKind(t, err, rhizome.NotFound, "taking a code twice")
		_, err = s.Request(t.Context(), r.ID)
		wantKind(t, err, rhizome.NotFound, "reading the request of a taken code")
		if got, err := s.TakeCode(t.Context(), "code-hash-2"); err != nil || got.ID != "req-2" {
			t.Fatalf("taking another code: %+v, %v", got, err)
		}
	})
	t.Run("confidential client's key", func(t *testing.T) {
		s, r := open(t), confidential(newRequest(1))
		must(t, s.PutRequest(t.Context(), r))
		got, err := s.Request(t.Context(), r.ID)
		must(t, err)
		wantRequest(t, got, r)
		approved := signedIn(r, "code-hash-1")
		must(t, s.PutRequest(t.Context(), approved))
		got, err = s.TakeCode(t.Context(), "code-hash-1")
		must(t, err)
		wantRequest(t, got, approved)
	})
	t.Run("unknown is NotFound", func(t *testing.T) {
		s := open(t)
		must(t, s.PutRequest(t.Context(), signedIn(newRequest(1), "code-hash-1")))
		_, err := s.TakeCode(t.Context(), "code-hash-2")
		wantKind(t, err, rhizome.NotFound, "taking an unknown code")
	})
	t.Run("empty hash matches no request", func(t *testing.T) {
		s, r := open(t), newRequest(1) // no code yet
		must(t, s.PutRequest(t.Context(), r))
		_, err := s.TakeCode(t.Context(), "")
		wantKind(t, err, rhizome.NotFound, "taking the empty code")
		if _, err := s.Request(t.Context(), r.ID); err != nil {
			t.Fatalf("taking the empty code removed a pending request: %v", err)
		}
	})
	t.Run("expired is NotFound", func(t *testing.T) {
		s, r := open(t), signedIn(newRequest(1), "code-hash-1")
		r.ExpiresAt = now().Add(-time.Second)
		must(t, s.PutRequest(t.Context(), r))
		_, err := s.TakeCode(t.Context(), "code-hash-1")
		wantKind(t, err, rhizome.NotFound, "taking an expired code")
	})
	t.Run("one of concurrent takers wins", func(t *testing.T) {
		s := open(t)
		must(t, s.PutRequest(t.Context(), signedIn(newRequest(1), "code-hash-1")))
		var won, lost atomic.Int32
		race(t, func(int) error {
			got, err := s.TakeCode(t.Context(), "code-hash-1")
			switch {
			case err == nil && got.ID == "req-1":
				won.Add(1)
			case rhizome.Is(err, rhizome.NotFound):
				lost.Add(1)
			default:
				return fmt.Errorf("take code: %+v, %v", got, err)
			}
			return nil
		})
		if won.Load() != 1 || lost.Load() != racers-1 {
			t.Fatalf("%d takers won, %d lost; want 1 and %d", won.Load(), lost.Load(), racers-1)
		}
	})
}

// race runs fn in racers goroutines started together and fails the test
// with the errors they return.
func race(t *testing.T, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := fn(i); err != nil {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// newFamily returns an active grant of did created at created.
func newFamily(id string, did syntax.DID, created time.Time) *server.Family {
	return &server.Family{
		ID: id, DID: did, ClientID: "https://app.example/client-metadata.json",
		Scope: "atproto repo:app.bsky.feed.post", JKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
		RefreshHash: "refresh-0", CreatedAt: created, RefreshedAt: created,
		ExpiresAt: created.Add(14 * 24 * time.Hour),
	}
}
