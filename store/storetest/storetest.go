package storetest

import (
	"errors"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
)

// Run runs the conformance suite. open must return a fresh, empty store
// each time it is called; the suite closes every store it opens (a second
// Close must not panic). Subtests run one after another; some of them
// start goroutines that race on one store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	h := harness{open: open}
	t.Run("Accounts", h.accounts)
	t.Run("Repos", h.repos)
	t.Run("Sessions", h.sessions)
	t.Run("Blobs", h.blobs)
	t.Run("Invites", h.invites)
	t.Run("Events", h.events)
	t.Run("PLC", h.plc)
	t.Run("Preferences", h.preferences)
	t.Run("AccountTokens", h.tokens)
	t.Run("Close", h.close)
}

// harness opens stores for subtests.
type harness struct {
	open func(t *testing.T) store.Store
}

// test runs fn as subtest name with a fresh store.
func (h harness) test(t *testing.T, name string, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		s := h.open(t)
		if s == nil {
			t.Fatal("open returned a nil store")
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
}

// must fails the test if err is not nil.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantKind fails the test unless err is a *rhizome.Error naming an
// operation and having kind.
func wantKind(t *testing.T, err error, kind rhizome.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a %v error", kind)
	}
	var e *rhizome.Error
	if !errors.As(err, &e) || e.Op == "" {
		t.Errorf("error %q (%T) is not a *rhizome.Error with an op", err, err)
	}
	if got := rhizome.KindOf(err); got != kind {
		t.Fatalf("got %q (kind %v), want a %v error", err, got, kind)
	}
}

// wantEmpty fails the test unless a listing found nothing: an empty
// result, or NotFound.
func wantEmpty[T any](t *testing.T, what string, got []T, err error) {
	t.Helper()
	if err != nil && !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("%s: %v", what, err)
	}
	if len(got) != 0 {
		t.Fatalf("%s: got %d items, want none", what, len(got))
	}
}

// wantNotFound fails the test unless err is a NotFound error.
func wantNotFound(t *testing.T, err error) {
	t.Helper()
	wantKind(t, err, rhizome.NotFound)
}
