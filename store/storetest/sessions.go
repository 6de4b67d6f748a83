package storetest

import (
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
)

func (h harness) sessions(t *testing.T) {
	t.Run("RefreshToken", h.refreshTokens)
	t.Run("RotateRefreshToken", h.rotateRefreshToken)
	t.Run("DeleteRefreshTokens", h.deleteRefreshTokens)
	t.Run("ListRefreshTokens", h.listRefreshTokens)
	t.Run("AppPasswords", h.appPasswords)
}

// later returns a time d after now, at millisecond precision.
func later(d time.Duration) time.Time { return time.Now().UTC().Add(d).Truncate(time.Millisecond) }

// wantToken checks a stored token.
func wantToken(t *testing.T, s store.Store, want store.RefreshToken) {
	t.Helper()
	got, err := s.RefreshToken(t.Context(), want.ID)
	must(t, err)
	if got.ID != want.ID || got.DID != want.DID || got.AppPassword != want.AppPassword ||
		got.NextID != want.NextID || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("got token %+v, want %+v", got, want)
	}
}

func (h harness) refreshTokens(t *testing.T) {
	h.test(t, "put and read", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		tok := store.RefreshToken{ID: "jti-1", DID: testDID(1), AppPassword: "phone", ExpiresAt: later(time.Hour)}
		must(t, s.PutRefreshToken(t.Context(), tok))
		wantToken(t, s, tok)
	})
	h.test(t, "expired", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		must(t, s.PutRefreshToken(t.Context(), store.RefreshToken{ID: "old", DID: testDID(1), ExpiresAt: later(-time.Minute)}))
		_, err := s.RefreshToken(t.Context(), "old")
		wantNotFound(t, err)
	})
	h.test(t, "unknown", func(t *testing.T, s store.Store) {
		_, err := s.RefreshToken(t.Context(), "nope")
		wantNotFound(t, err)
	})
	h.test(t, "duplicate ID", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		tok := store.RefreshToken{ID: "jti-1", DID: testDID(1), ExpiresAt: later(time.Hour)}
		must(t, s.PutRefreshToken(t.Context(), tok))
		wantKind(t, s.PutRefreshToken(t.Context(), tok), rhizome.Exists)
	})
	h.test(t, "delete", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		must(t, s.PutRefreshToken(t.Context(), store.RefreshToken{ID: "a", DID: testDID(1), ExpiresAt: later(time.Hour)}))
		must(t, s.PutRefreshToken(t.Context(), store.RefreshToken{ID: "b", DID: testDID(1), ExpiresAt: later(time.Hour)}))
		must(t, s.DeleteRefreshToken(t.Context(), "a"))
		_, err := s.RefreshToken(t.Context(), "a")
		wantNotFound(t, err)
		_, err = s.RefreshToken(t.Context(), "b")
		must(t, err)
		wantNotFound(t, s.DeleteRefreshToken(t.Context(), "a"))
	})
}

func (h harness) rotateRefreshToken(t *testing.T) {
	h.test(t, "links and shortens", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		old := store.RefreshToken{ID: "old", DID: testDID(1), ExpiresAt: later(24 * time.Hour)}
		must(t, s.PutRefreshToken(t.Context(), old))
		next := store.RefreshToken{ID: "next", DID: testDID(1), ExpiresAt: later(48 * time.Hour)}
		grace := later(2 * time.Minute)
		must(t, s.RotateRefreshToken(t.Context(), "old", next, grace))
		old.NextID, old.ExpiresAt = "next", grace
		wantToken(t, s, old)
		wantToken(t, s, next)
	})
	h.test(t, "keeps a sooner expiry", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		old := store.RefreshToken{ID: "old", DID: testDID(1), ExpiresAt: later(time.Minute)}
		must(t, s.PutRefreshToken(t.Context(), old))
		must(t, s.RotateRefreshToken(t.Context(), "old",
			store.RefreshToken{ID: "next", DID: testDID(1), ExpiresAt: later(time.Hour)}, later(time.Hour)))
		old.NextID = "next"
		wantToken(t, s, old)
	})
	h.test(t, "second rotation conflicts", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		must(t, s.PutRefreshToken(t.Context(), store.RefreshToken{ID: "old", DID: testDID(1), ExpiresAt: later(time.Hour)}))
		next := func(id string) store.RefreshToken {
			return store.RefreshToken{ID: id, DID: testDID(1), ExpiresAt: later(time.Hour)}
		}
		must(t, s.RotateRefreshToken(t.Context(), "old", next("next-1"), later(time.Minute)))
		wantKind(t, s.RotateRefreshToken(t.Context(), "old", next("next-2"), later(time.Minute)), rhizome.Conflict)
		_, err := s.RefreshToken(t.Context(), "next-2")
		wantNotFound(t, err)
		got, err := s.RefreshToken(t.Context(), "old")
		must(t, err)
		if got.NextID != "next-1" {
			t.Fatalf("old token now points to %q", got.NextID)
		}
	})
	h.test(t, "absent or expired", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		must(t, s.PutRefreshToken(t.Context(), store.RefreshToken{ID: "dead", DID: testDID(1), ExpiresAt: later(-time.Second)}))
		for _, id := range []string{"dead", "nope"} {
			err := s.RotateRefreshToken(t.Context(), id,
				store.RefreshToken{ID: "next-" + id, DID: testDID(1), ExpiresAt: later(time.Hour)}, later(time.Minute))
			wantNotFound(t, err)
			_, err = s.RefreshToken(t.Context(), "next-"+id)
			wantNotFound(t, err)
		}
	})
}

func (h harness) deleteRefreshTokens(t *testing.T) {
	h.test(t, "all or one app password's", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		toks := []store.RefreshToken{
			{ID: "1-full", DID: testDID(1)}, {ID: "1-phone", DID: testDID(1), AppPassword: "phone"},
			{ID: "1-laptop", DID: testDID(1), AppPassword: "laptop"}, {ID: "2-phone", DID: testDID(2), AppPassword: "phone"},
		}
		for _, tok := range toks {
			tok.ExpiresAt = later(time.Hour)
			must(t, s.PutRefreshToken(t.Context(), tok))
		}
		must(t, s.DeleteRefreshTokens(t.Context(), testDID(1), "phone"))
		wantLive(t, s, map[string]bool{"1-full": true, "1-phone": false, "1-laptop": true, "2-phone": true})
		must(t, s.DeleteRefreshTokens(t.Context(), testDID(1), ""))
		wantLive(t, s, map[string]bool{"1-full": false, "1-laptop": false, "2-phone": true})
	})
}

// wantLive checks which tokens can be read.
func wantLive(t *testing.T, s store.Store, live map[string]bool) {
	t.Helper()
	for id, want := range live {
		_, err := s.RefreshToken(t.Context(), id)
		if err != nil && !rhizome.Is(err, rhizome.NotFound) {
			t.Fatal(err)
		}
		if got := err == nil; got != want {
			t.Fatalf("token %s live: %v, want %v", id, got, want)
		}
	}
}

func (h harness) appPasswords(t *testing.T) {
	h.test(t, "create and list by name", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		for _, p := range []store.AppPassword{
			{DID: testDID(1), Name: "phone", PasswordHash: "h1", CreatedAt: t0},
			{DID: testDID(1), Name: "laptop", PasswordHash: "h2", Privileged: true, CreatedAt: t0.Add(time.Second)},
			{DID: testDID(2), Name: "phone", PasswordHash: "h3", CreatedAt: t0},
		} {
			must(t, s.CreateAppPassword(t.Context(), p))
		}
		got, err := s.AppPasswords(t.Context(), testDID(1))
		must(t, err)
		if len(got) != 2 || got[0].Name != "laptop" || !got[0].Privileged || got[0].PasswordHash != "h2" ||
			!got[0].CreatedAt.Equal(t0.Add(time.Second)) || got[0].DID != testDID(1) ||
			got[1].Name != "phone" || got[1].Privileged {
			t.Fatalf("app passwords %+v", got)
		}
	})
	h.test(t, "duplicate name", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		p := store.AppPassword{DID: testDID(1), Name: "phone", PasswordHash: "h1", CreatedAt: t0}
		must(t, s.CreateAppPassword(t.Context(), p))
		p.PasswordHash = "h2"
		wantKind(t, s.CreateAppPassword(t.Context(), p), rhizome.Exists)
		got, err := s.AppPasswords(t.Context(), testDID(1))
		must(t, err)
		if len(got) != 1 || got[0].PasswordHash != "h1" {
			t.Fatalf("app passwords %+v", got)
		}
	})
	h.test(t, "delete ends its sessions", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		for _, name := range []string{"phone", "laptop"} {
			must(t, s.CreateAppPassword(t.Context(), store.AppPassword{DID: testDID(1), Name: name, PasswordHash: "h", CreatedAt: t0}))
			must(t, s.PutRefreshToken(t.Context(), store.RefreshToken{ID: name, DID: testDID(1), AppPassword: name, ExpiresAt: later(time.Hour)}))
		}
		must(t, s.PutRefreshToken(t.Context(), store.RefreshToken{ID: "full", DID: testDID(1), ExpiresAt: later(time.Hour)}))
		must(t, s.DeleteAppPassword(t.Context(), testDID(1), "phone"))
		wantLive(t, s, map[string]bool{"phone": false, "laptop": true, "full": true})
		got, err := s.AppPasswords(t.Context(), testDID(1))
		must(t, err)
		if len(got) != 1 || got[0].Name != "laptop" {
			t.Fatalf("app passwords %+v", got)
		}
		wantNotFound(t, s.DeleteAppPassword(t.Context(), testDID(1), "phone"))
		wantNotFound(t, s.DeleteAppPassword(t.Context(), testDID(9), "laptop"))
	})
}
