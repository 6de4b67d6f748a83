package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// prefsQuery reads an account's preferences in order; an account without
// any yields one row of NULLs, no account no row.
const prefsQuery = `SELECT p.type, p.value FROM account ac JOIN actor a ON a.id = ac.actor
	LEFT JOIN preference p ON p.actor = ac.actor WHERE a.did = ? ORDER BY p.pos`

// Preferences implements store.Preferences.
func (s *Store) Preferences(ctx context.Context, did syntax.DID) ([]store.Preference, error) {
	out := []store.Preference{}
	found := false
	err := s.read(ctx, prefsQuery, []any{string(did)}, func(r *sql.Rows) error {
		found = true
		var typ sql.NullString
		var value []byte
		if err := r.Scan(&typ, &value); err != nil || !typ.Valid {
			return err
		}
		out = append(out, store.Preference{Type: typ.String, Value: value})
		return nil
	})
	if err == nil && !found {
		err = notFound("no account %s", did)
	}
	return out, wrap("read preferences", err)
}

// PutPreferences implements store.Preferences.
func (s *Store) PutPreferences(ctx context.Context, did syntax.DID, prefs []store.Preference, keep ...string) error {
	const op = "put preferences"
	if i := store.CheckPreferences(prefs); i >= 0 {
		return wrap(op, invalid("preference %d lacks a type or value", i))
	}
	err := s.write(ctx, func(w *wconn) error {
		var actor int64
		err := w.row(`SELECT ac.actor FROM account ac JOIN actor a ON a.id = ac.actor WHERE a.did = ?`,
			string(did)).Scan(&actor)
		if isNoRows(err) {
			return notFound("no account %s", did)
		}
		if err != nil {
			return err
		}
		return w.replacePrefs(actor, prefs, keep)
	})
	return wrap(op, err)
}

// replacePrefs deletes the actor's preferences but those of the kept
// types and appends prefs after the kept ones.
func (w *wconn) replacePrefs(actor int64, prefs []store.Preference, keep []string) error {
	q, args := `DELETE FROM preference WHERE actor = ?`, []any{actor}
	if len(keep) > 0 {
		q += ` AND type NOT IN (?` + strings.Repeat(", ?", len(keep)-1) + `)`
		for _, k := range keep {
			args = append(args, k)
		}
	}
	if err := w.exec(q, args...); err != nil {
		return err
	}
	var next int64
	err := w.row(`SELECT coalesce(max(pos), -1) + 1 FROM preference WHERE actor = ?`, actor).Scan(&next)
	if err != nil {
		return err
	}
	for i, p := range prefs {
		err := w.exec(`INSERT INTO preference(actor, pos, type, value) VALUES (?, ?, ?, ?)`,
			actor, next+int64(i), p.Type, []byte(p.Value))
		if err != nil {
			return err
		}
	}
	return nil
}
