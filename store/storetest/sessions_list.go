package storetest

import (
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/store"
)

func (h harness) listRefreshTokens(t *testing.T) {
	h.test(t, "live tokens of one account, paged by ID", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		toks := []store.RefreshToken{
			{ID: "c", DID: testDID(1), AppPassword: "phone", ExpiresAt: later(time.Hour), NextID: "d"},
			{ID: "a", DID: testDID(1), ExpiresAt: later(2 * time.Hour)},
			{ID: "b", DID: testDID(1), ExpiresAt: later(-time.Minute)}, // expired
			{ID: "d", DID: testDID(1), ExpiresAt: later(3 * time.Hour)},
			{ID: "e", DID: testDID(2), ExpiresAt: later(time.Hour)}, // another account's
		}
		for _, tok := range toks {
			must(t, s.PutRefreshToken(t.Context(), tok))
		}
		first, err := s.ListRefreshTokens(t.Context(), testDID(1), store.Page{Limit: 2})
		must(t, err)
		rest, err := s.ListRefreshTokens(t.Context(), testDID(1), store.Page{Limit: 2, Cursor: "c"})
		must(t, err)
		got := append(first, rest...)
		want := []store.RefreshToken{toks[1], toks[0], toks[3]}
		if len(got) != len(want) {
			t.Fatalf("listed %+v, want %+v", got, want)
		}
		for i, w := range want {
			g := got[i]
			if g.ID != w.ID || g.DID != w.DID || g.AppPassword != w.AppPassword || g.NextID != w.NextID ||
				!g.ExpiresAt.Equal(w.ExpiresAt) {
				t.Fatalf("token %d: %+v, want %+v", i, g, w)
			}
		}
	})
	h.test(t, "unknown account", func(t *testing.T, s store.Store) {
		got, err := s.ListRefreshTokens(t.Context(), testDID(9), store.Page{})
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("listed %+v for an unknown account", got)
		}
	})
}
