package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// prefsQuery reads an account's preferences in order; an account without
// any yields one row of NULLs, no account no row.
const prefsQuery = `SELECT p.type, p.value FROM account ac JOIN actor a ON a.id = ac.actor
	LEFT JOIN preference p ON p.actor = ac.actor WHERE a.did = $1 ORDER BY p.pos`

// Preferences implements store.Preferences.
func (s *Store) Preferences(ctx context.Context, did syntax.DID) ([]store.Preference, error) {
	out := []store.Preference{}
	found := false
	err := s.query(ctx, prefsQuery, []any{string(did)}, func(r pgx.Rows) error {
		found = true
		var typ *string
		var value []byte
		if err := r.Scan(&typ, &value); err != nil || typ == nil {
			return err
		}
		out = append(out, store.Preference{Type: *typ, Value: value})
		return nil
	})
	if err == nil && !found {
		err = notFound("no account %s", did)
	}
	return out, wrap("read preferences", err)
}

// PutPreferences implements store.Preferences: the account row is locked
// first (NotFound if there is none), so concurrent puts apply one after
// the other; then the old preferences but the kept ones go and prefs are
// appended after those, in the same round trip as the commit.
func (s *Store) PutPreferences(ctx context.Context, did syntax.DID, prefs []store.Preference, keep ...string) error {
	const op = "put preferences"
	if i := store.CheckPreferences(prefs); i >= 0 {
		return wrap(op, invalid("preference %d lacks a type or value", i))
	}
	types, values := make([]string, len(prefs)), make([][]byte, len(prefs))
	for i, p := range prefs {
		types[i], values[i] = p.Type, p.Value
	}
	if keep == nil {
		keep = []string{}
	}
	err := s.write(ctx, func(t *txn) error {
		var actor int64
		t.queue(`SELECT ac.actor FROM account ac JOIN actor a ON a.id = ac.actor WHERE a.did = $1 FOR UPDATE OF ac`,
			string(did)).QueryRow(scanOne(notFound("no account %s", did), &actor))
		if err := t.send(ctx); err != nil {
			return err
		}
		t.queue(`DELETE FROM preference WHERE actor = $1 AND NOT (type = ANY ($2::text[]))`, actor, keep)
		t.queue(`INSERT INTO preference (actor, pos, type, value)
			SELECT $1, (SELECT coalesce(max(pos), -1) FROM preference WHERE actor = $1) + u.ord, u.type, u.value
			FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS u(type, value, ord)`, actor, types, values)
		return nil
	})
	return wrap(op, err)
}
