package sqlite

import (
	"context"

	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// PutAccountToken implements store.AccountTokens.
func (s *Store) PutAccountToken(ctx context.Context, t store.AccountToken) error {
	const op = "put account token"
	if err := t.Check(); err != nil {
		return wrap(op, err)
	}
	err := s.write(ctx, func(w *wconn) error {
		var actor int64
		err := w.row(`SELECT ac.actor FROM account ac JOIN actor a ON a.id = ac.actor WHERE a.did = ?`,
			string(t.DID)).Scan(&actor)
		if isNoRows(err) {
			return notFound("no account %s", t.DID)
		}
		if err != nil {
			return err
		}
		return w.exec(`INSERT INTO account_token(actor, purpose, hash, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (actor, purpose) DO UPDATE SET hash = excluded.hash, expires_at = excluded.expires_at`,
			actor, t.Purpose, t.Hash, millis(t.ExpiresAt))
	})
	return wrap(op, err)
}

// TakeAccountToken implements store.AccountTokens: one DELETE … RETURNING
// in the writer, so of several takers only the first finds the row.
func (s *Store) TakeAccountToken(ctx context.Context, did syntax.DID, purpose, hash string) (store.AccountToken, error) {
	const op = "take account token"
	t := store.AccountToken{DID: did, Purpose: purpose, Hash: hash}
	if hash == "" {
		return store.AccountToken{}, wrap(op, notFound("no such token"))
	}
	err := s.write(ctx, func(w *wconn) error {
		var exp int64
		err := w.row(`DELETE FROM account_token WHERE actor = (SELECT id FROM actor WHERE did = ?)
			AND purpose = ? AND hash = ? RETURNING expires_at`, string(did), purpose, hash).Scan(&exp)
		if isNoRows(err) {
			return notFound("no such token")
		}
		t.ExpiresAt = fromMillis(exp)
		return err
	})
	if err != nil {
		return store.AccountToken{}, wrap(op, err)
	}
	return t, nil
}
