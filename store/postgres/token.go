package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// PutAccountToken implements store.AccountTokens: one upsert whose actor
// comes from the account row (NotFound if none).
func (s *Store) PutAccountToken(ctx context.Context, t store.AccountToken) error {
	const op = "put account token"
	if err := t.Check(); err != nil {
		return wrap(op, err)
	}
	n, err := s.exec(ctx, `INSERT INTO account_token (actor, purpose, hash, expires_at)
		SELECT ac.actor, $2, $3, $4 FROM account ac JOIN actor a ON a.id = ac.actor WHERE a.did = $1
		ON CONFLICT (actor, purpose) DO UPDATE SET hash = excluded.hash, expires_at = excluded.expires_at`,
		string(t.DID), t.Purpose, t.Hash, ms(t.ExpiresAt))
	if err == nil && n == 0 {
		err = notFound("no account %s", t.DID)
	}
	return wrap(op, err)
}

// TakeAccountToken implements store.AccountTokens: one DELETE … RETURNING,
// so of several takers on any nodes only the first finds the row.
func (s *Store) TakeAccountToken(ctx context.Context, did syntax.DID, purpose, hash string) (store.AccountToken, error) {
	const op = "take account token"
	if hash == "" {
		return store.AccountToken{}, wrap(op, notFound("no such token"))
	}
	t := store.AccountToken{DID: did, Purpose: purpose, Hash: hash}
	err := s.queryRow(ctx, `DELETE FROM account_token WHERE actor = (SELECT id FROM actor WHERE did = $1)
		AND purpose = $2 AND hash = $3 RETURNING expires_at`, []any{string(did), purpose, hash}, &t.ExpiresAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.AccountToken{}, wrap(op, notFound("no such token"))
	case err != nil:
		return store.AccountToken{}, wrap(op, err)
	}
	t.ExpiresAt = t.ExpiresAt.UTC()
	return t, nil
}
