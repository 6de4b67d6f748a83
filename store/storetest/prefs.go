package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

func (h harness) preferences(t *testing.T) {
	t.Run("PutPreferences", h.putPreferences)
	t.Run("KeepPreferences", h.keepPreferences)
	t.Run("PreferencesRefused", h.preferencesRefused)
	t.Run("PreferencesDeleted", h.preferencesDeleted)
	t.Run("PreferencesConcurrent", h.preferencesConcurrent)
}

// pref is a preference of type typ whose JSON carries n.
func pref(typ string, n int) store.Preference {
	return store.Preference{Type: typ, Value: json.RawMessage(fmt.Sprintf(`{"$type":%q,"n":%d}`, typ, n))}
}

const (
	adultPref    = "app.bsky.actor.defs#adultContentPref"
	feedViewPref = "app.bsky.actor.defs#feedViewPref"
	detailsPref  = "app.bsky.actor.defs#personalDetailsPref"
)

// wantPrefs checks the account's preferences, in order and byte for byte.
func wantPrefs(t *testing.T, s store.Store, did syntax.DID, want ...store.Preference) {
	t.Helper()
	got, err := s.Preferences(t.Context(), did)
	must(t, err)
	if got == nil {
		t.Fatal("preferences: got nil, want a (possibly empty) list")
	}
	if !slices.EqualFunc(got, want, samePref) {
		t.Fatalf("preferences: got %s, want %s", prefsString(got), prefsString(want))
	}
}

func samePref(a, b store.Preference) bool {
	return a.Type == b.Type && string(a.Value) == string(b.Value)
}

func prefsString(ps []store.Preference) string {
	out := ""
	for _, p := range ps {
		out += p.Type + "=" + string(p.Value) + " "
	}
	return "[" + out + "]"
}

func (h harness) putPreferences(t *testing.T) {
	h.test(t, "none at first", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		wantPrefs(t, s, testDID(1))
	})
	h.test(t, "replaces the whole set, keeps order and bytes", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		ctx, did := t.Context(), testDID(1)
		first := []store.Preference{pref(feedViewPref, 1), pref(adultPref, 2), pref(feedViewPref, 3)}
		must(t, s.PutPreferences(ctx, did, first))
		wantPrefs(t, s, did, first...)
		odd := store.Preference{Type: adultPref, Value: json.RawMessage(`{ "$type" : "` + adultPref + `", "z":1, "a":[] }`)}
		must(t, s.PutPreferences(ctx, did, []store.Preference{odd}))
		wantPrefs(t, s, did, odd)
		wantPrefs(t, s, testDID(2))
		must(t, s.PutPreferences(ctx, did, nil))
		wantPrefs(t, s, did)
	})
}

func (h harness) keepPreferences(t *testing.T) {
	h.test(t, "kept types stay ahead of the new ones", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		ctx, did := t.Context(), testDID(1)
		must(t, s.PutPreferences(ctx, did, []store.Preference{pref(adultPref, 1), pref(detailsPref, 2), pref(feedViewPref, 3)}))
		must(t, s.PutPreferences(ctx, did, []store.Preference{pref(feedViewPref, 4), pref(adultPref, 5)}, detailsPref))
		wantPrefs(t, s, did, pref(detailsPref, 2), pref(feedViewPref, 4), pref(adultPref, 5))
		must(t, s.PutPreferences(ctx, did, nil, detailsPref, "app.bsky.other"))
		wantPrefs(t, s, did, pref(detailsPref, 2))
		must(t, s.PutPreferences(ctx, did, []store.Preference{pref(adultPref, 6)}))
		wantPrefs(t, s, did, pref(adultPref, 6))
	})
}

func (h harness) preferencesRefused(t *testing.T) {
	h.test(t, "unknown account", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		_, err := s.Preferences(t.Context(), testDID(2))
		wantNotFound(t, err)
		wantNotFound(t, s.PutPreferences(t.Context(), testDID(2), []store.Preference{pref(adultPref, 1)}))
		_, err = s.Preferences(t.Context(), testDID(2))
		wantNotFound(t, err)
	})
	h.test(t, "a preference without type or value writes nothing", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		ctx, did := t.Context(), testDID(1)
		must(t, s.PutPreferences(ctx, did, []store.Preference{pref(adultPref, 1)}))
		for _, bad := range []store.Preference{{Type: adultPref}, {Value: json.RawMessage(`{}`)}} {
			wantKind(t, s.PutPreferences(ctx, did, []store.Preference{pref(feedViewPref, 2), bad}), rhizome.Invalid)
		}
		wantPrefs(t, s, did, pref(adultPref, 1))
	})
}

func (h harness) preferencesDeleted(t *testing.T) {
	h.test(t, "go with the account", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		ctx := t.Context()
		must(t, s.PutPreferences(ctx, testDID(1), []store.Preference{pref(adultPref, 1)}))
		must(t, s.PutPreferences(ctx, testDID(2), []store.Preference{pref(adultPref, 2)}))
		// The last account created: a store that reuses its internal ids
		// would hand stale rows to the recreated account.
		must(t, s.DeleteAccount(ctx, testDID(2)))
		_, err := s.Preferences(ctx, testDID(2))
		wantNotFound(t, err)
		a, _ := newAccount(t, 2)
		_, err = s.CreateAccount(ctx, a)
		must(t, err)
		wantPrefs(t, s, testDID(2))
		wantPrefs(t, s, testDID(1), pref(adultPref, 1))
	})
}

// preferencesConcurrent races whole-set puts: the result is exactly one
// writer's set, never a mix.
func (h harness) preferencesConcurrent(t *testing.T) {
	h.test(t, "one writer's set wins whole", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		ctx, did := t.Context(), testDID(1)
		const writers = 8
		sets := make([][]store.Preference, writers)
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := range writers {
			sets[i] = []store.Preference{pref(adultPref, i), pref(feedViewPref, i), pref(detailsPref, i)}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.PutPreferences(ctx, did, sets[i])
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		got, err := s.Preferences(ctx, did)
		must(t, err)
		if !slices.ContainsFunc(sets, func(set []store.Preference) bool { return slices.EqualFunc(got, set, samePref) }) {
			t.Fatalf("preferences after racing puts: %s, not one writer's set", prefsString(got))
		}
	})
}
