package servertest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/server"
	"github.com/rhizome-pds/rhizome/syntax"
)

// wantFamily compares grants field by field, times by instant.
func wantFamily(t *testing.T, got, want *server.Family) {
	t.Helper()
	g, w := *got, *want
	for _, p := range [][2]*time.Time{{&g.CreatedAt, &w.CreatedAt}, {&g.RefreshedAt, &w.RefreshedAt},
		{&g.ExpiresAt, &w.ExpiresAt}, {&g.RevokedAt, &w.RevokedAt}} {
		if !p[0].Equal(*p[1]) || p[0].IsZero() != p[1].IsZero() {
			t.Fatalf("got grant %+v, want %+v", got, want)
		}
		*p[0] = *p[1]
	}
	if g != w {
		t.Fatalf("got grant %+v, want %+v", got, want)
	}
}

// family reads a grant that must exist.
func family(t *testing.T, s server.Store, id string) *server.Family {
	t.Helper()
	f, err := s.Family(t.Context(), id)
	must(t, err)
	return f
}

func families(t *testing.T, open Opener) {
	t.Run("round trip", func(t *testing.T) {
		s, f := open(t), newFamily("fam-1", "did:plc:alice", now())
		must(t, s.PutFamily(t.Context(), f))
		wantFamily(t, family(t, s, f.ID), f)
	})
	t.Run("confidential client's key", func(t *testing.T) {
		s, f := open(t), newFamily("fam-1", "did:plc:alice", now())
		f.ClientJKT, f.ExpiresAt = "kB3Zq7vYp2l0mQ8cRr5sWn1xT4uE6oJ9aHfGdLiK0Ns", f.CreatedAt.Add(180*24*time.Hour)
		must(t, s.PutFamily(t.Context(), f))
		wantFamily(t, family(t, s, f.ID), f)
		must(t, s.Rotate(t.Context(), f.ID, "refresh-0", "refresh-1", now()))
		if got := family(t, s, f.ID); got.ClientJKT != f.ClientJKT {
			t.Fatalf("rotation changed the client key to %q", got.ClientJKT)
		}
		listed, err := s.Families(t.Context(), f.DID)
		must(t, err)
		if len(listed) != 1 || listed[0].ClientJKT != f.ClientJKT {
			t.Fatalf("listed %+v, want the client key %q", listed, f.ClientJKT)
		}
	})
	t.Run("missing is NotFound", func(t *testing.T) {
		_, err := open(t).Family(t.Context(), "nope")
		wantKind(t, err, rhizome.NotFound, "reading a missing grant")
	})
	t.Run("put twice is Exists", func(t *testing.T) {
		s, f := open(t), newFamily("fam-1", "did:plc:alice", now())
		must(t, s.PutFamily(t.Context(), f))
		other := newFamily("fam-1", "did:plc:bob", now())
		other.RefreshHash = "other"
		wantKind(t, s.PutFamily(t.Context(), other), rhizome.Exists, "creating a grant twice")
		wantFamily(t, family(t, s, f.ID), f)
	})
	t.Run("expired is still returned", func(t *testing.T) {
		s, f := open(t), newFamily("fam-1", "did:plc:alice", now().Add(-30*24*time.Hour))
		must(t, s.PutFamily(t.Context(), f))
		wantFamily(t, family(t, s, f.ID), f)
	})
	t.Run("listing", listFamilies(open))
}

func listFamilies(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		s, base := open(t), now().Add(-time.Hour)
		// Created out of order, interleaved with another account's.
		for i, n := range []int{2, 0, 3, 1} {
			must(t, s.PutFamily(t.Context(), newFamily(fmt.Sprintf("alice-%d", n), "did:plc:alice", base.Add(time.Duration(n)*time.Minute))))
			must(t, s.PutFamily(t.Context(), newFamily(fmt.Sprintf("bob-%d", i), "did:plc:bob", base.Add(time.Duration(i)*time.Second))))
		}
		must(t, s.Revoke(t.Context(), "alice-1", now()))
		got, err := s.Families(t.Context(), "did:plc:alice")
		must(t, err)
		want := []string{"alice-3", "alice-2", "alice-1", "alice-0"}
		if len(got) != len(want) {
			t.Fatalf("listed %d grants, want %d", len(got), len(want))
		}
		for i, f := range got {
			if f.ID != want[i] || f.DID != "did:plc:alice" {
				t.Fatalf("grant %d is %s of %s, want %s (newest first, revoked included)", i, f.ID, f.DID, want[i])
			}
		}
		if got[2].RevokedAt.IsZero() {
			t.Fatalf("listed revoked grant without its revocation: %+v", got[2])
		}
		none, err := s.Families(t.Context(), syntax.DID("did:plc:nobody"))
		if err != nil || len(none) != 0 {
			t.Fatalf("grants of an account without any: %v, %v", none, err)
		}
	}
}

func rotate(t *testing.T, open Opener) {
	t.Run("replaces current hash", func(t *testing.T) {
		s, f := open(t), newFamily("fam-1", "did:plc:alice", now().Add(-time.Hour))
		must(t, s.PutFamily(t.Context(), f))
		at := now()
		must(t, s.Rotate(t.Context(), f.ID, "refresh-0", "refresh-1", at))
		want := *f
		want.RefreshHash, want.RefreshedAt = "refresh-1", at
		wantFamily(t, family(t, s, f.ID), &want)
		must(t, s.Rotate(t.Context(), f.ID, "refresh-1", "refresh-2", at.Add(time.Second)))
	})
	t.Run("stale hash is Conflict", func(t *testing.T) {
		s, f := open(t), newFamily("fam-1", "did:plc:alice", now())
		must(t, s.PutFamily(t.Context(), f))
		must(t, s.Rotate(t.Context(), f.ID, "refresh-0", "refresh-1", now()))
		wantKind(t, s.Rotate(t.Context(), f.ID, "refresh-0", "refresh-x", now()), rhizome.Conflict, "rotating a used hash")
		if got := family(t, s, f.ID); got.RefreshHash != "refresh-1" {
			t.Fatalf("failed rotation changed the hash to %q", got.RefreshHash)
		}
	})
	t.Run("revoked is Conflict", func(t *testing.T) {
		s, f := open(t), newFamily("fam-1", "did:plc:alice", now())
		must(t, s.PutFamily(t.Context(), f))
		must(t, s.Revoke(t.Context(), f.ID, now()))
		wantKind(t, s.Rotate(t.Context(), f.ID, "refresh-0", "refresh-1", now()), rhizome.Conflict, "rotating a revoked grant")
		if got := family(t, s, f.ID); got.RefreshHash != "refresh-0" {
			t.Fatalf("rotating a revoked grant changed the hash to %q", got.RefreshHash)
		}
	})
	t.Run("missing is NotFound", func(t *testing.T) {
		wantKind(t, open(t).Rotate(t.Context(), "nope", "a", "b", now()), rhizome.NotFound, "rotating a missing grant")
	})
	t.Run("one of concurrent rotations wins", func(t *testing.T) {
		s, f := open(t), newFamily("fam-1", "did:plc:alice", now())
		must(t, s.PutFamily(t.Context(), f))
		var won, lost atomic.Int32
		var winner atomic.Value
		race(t, func(i int) error {
			next := fmt.Sprintf("refresh-by-%d", i)
			err := s.Rotate(t.Context(), f.ID, "refresh-0", next, now())
			switch {
			case err == nil:
				won.Add(1)
				winner.Store(next)
			case rhizome.Is(err, rhizome.Conflict):
				lost.Add(1)
			default:
				return fmt.Errorf("rotate: %v", err)
			}
			return nil
		})
		if won.Load() != 1 || lost.Load() != racers-1 {
			t.Fatalf("%d rotations won, %d lost; want 1 and %d", won.Load(), lost.Load(), racers-1)
		}
		if got := family(t, s, f.ID); got.RefreshHash != winner.Load() {
			t.Fatalf("hash %q, but %q won", got.RefreshHash, winner.Load())
		}
	})
}

func revoke(t *testing.T, open Opener) {
	t.Run("marks revoked", func(t *testing.T) {
		s, f := open(t), newFamily("fam-1", "did:plc:alice", now().Add(-time.Hour))
		must(t, s.PutFamily(t.Context(), f))
		must(t, s.PutFamily(t.Context(), newFamily("fam-2", "did:plc:alice", now())))
		at := now()
		must(t, s.Revoke(t.Context(), f.ID, at))
		want := *f
		want.RevokedAt = at
		got := family(t, s, f.ID)
		wantFamily(t, got, &want)
		if got.Active(at) {
			t.Fatal("revoked grant is active")
		}
		if !family(t, s, "fam-2").RevokedAt.IsZero() {
			t.Fatal("revoking one grant revoked another")
		}
	})
	t.Run("twice keeps the first time", func(t *testing.T) {
		s, f := open(t), newFamily("fam-1", "did:plc:alice", now())
		must(t, s.PutFamily(t.Context(), f))
		first := now()
		must(t, s.Revoke(t.Context(), f.ID, first))
		must(t, s.Revoke(t.Context(), f.ID, first.Add(time.Minute)))
		if got := family(t, s, f.ID).RevokedAt; !got.Equal(first) {
			t.Fatalf("revoked at %v, want the first revocation's %v", got, first)
		}
	})
	t.Run("missing is NotFound", func(t *testing.T) {
		wantKind(t, open(t).Revoke(t.Context(), "nope", now()), rhizome.NotFound, "revoking a missing grant")
	})
}

func prune(t *testing.T, open Opener) {
	s, t0 := open(t), now()
	day := 24 * time.Hour
	cutoff := t0.Add(-30 * day)
	put := func(id string, created, revoked time.Time) {
		f := newFamily(id, "did:plc:alice", created)
		must(t, s.PutFamily(t.Context(), f))
		if !revoked.IsZero() {
			must(t, s.Revoke(t.Context(), id, revoked))
		}
	}
	put("revoked-long-ago", t0.Add(-40*day), t0.Add(-35*day))
	put("expired-long-ago", t0.Add(-60*day), time.Time{}) // expired 46 days ago
	put("revoked-lately", t0.Add(-40*day), t0.Add(-day))
	put("expired-lately", t0.Add(-20*day), time.Time{}) // expired 6 days ago
	put("active", t0.Add(-day), time.Time{})
	n, err := s.PruneFamilies(t.Context(), cutoff)
	must(t, err)
	if n != 2 {
		t.Fatalf("pruned %d grants, want 2", n)
	}
	for _, id := range []string{"revoked-long-ago", "expired-long-ago"} {
		_, err := s.Family(t.Context(), id)
		wantKind(t, err, rhizome.NotFound, "reading a pruned grant")
	}
	for _, id := range []string{"revoked-lately", "expired-lately", "active"} {
		if f := family(t, s, id); f.ID != id {
			t.Fatalf("grant %s: read %s", id, f.ID)
		}
	}
	if n, err := s.PruneFamilies(t.Context(), cutoff); err != nil || n != 0 {
		t.Fatalf("pruning again: %d, %v; want 0", n, err)
	}
}
