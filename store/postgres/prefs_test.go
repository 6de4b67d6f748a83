package postgres

import (
	"encoding/json"
	"testing"

	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// TestStore_DeleteAccountPreferences checks below the contract that
// deleting an account leaves no preference rows behind (actor ids are
// never reused, so the conformance suite cannot see stale rows here).
func TestStore_DeleteAccountPreferences(t *testing.T) {
	t.Run("cascade", func(t *testing.T) {
		s := openTemp(t)
		ctx, did := t.Context(), syntax.DID("did:plc:prefsdelete0000000000")
		_, err := s.exec(ctx, `WITH a AS (INSERT INTO actor (did) VALUES ($1) RETURNING id)
			INSERT INTO account (actor, handle, handle_key, email, email_key, password_hash, signing_key, status, created_at)
			SELECT id, 'p.test', 'p.test', '', '', '', '\x00', 'active', now() FROM a`, string(did))
		if err != nil {
			t.Fatal(err)
		}
		pref := store.Preference{Type: "app.bsky.actor.defs#adultContentPref", Value: json.RawMessage(`{"enabled":true}`)}
		if err := s.PutPreferences(ctx, did, []store.Preference{pref, pref}); err != nil {
			t.Fatal(err)
		}
		if n := countPrefs(t, s); n != 2 {
			t.Fatalf("%d preference rows after the put, want 2", n)
		}
		if err := s.DeleteAccount(ctx, did); err != nil {
			t.Fatal(err)
		}
		if n := countPrefs(t, s); n != 0 {
			t.Fatalf("%d preference rows after the account's deletion, want 0", n)
		}
	})
}

func countPrefs(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.queryRow(t.Context(), `SELECT count(*) FROM preference`, nil, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
