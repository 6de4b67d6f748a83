package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// ListRefreshTokens implements store.Sessions: the account's live tokens
// in ID order, the cursor being an ID.
func (s *Store) ListRefreshTokens(ctx context.Context, did syntax.DID, p store.Page) ([]store.RefreshToken, error) {
	args := []any{string(did), store.Now()}
	cond, order := pageSQL("t.id COLLATE \"C\"", p, &args)
	q := `SELECT t.id, t.app_password, t.expires_at, t.next_id FROM refresh_token t
		WHERE t.actor = (SELECT id FROM actor WHERE did = $1) AND t.expires_at > $2` + cond + order
	var out []store.RefreshToken
	err := s.query(ctx, q, args, func(r pgx.Rows) error {
		t := store.RefreshToken{DID: did}
		err := r.Scan(&t.ID, &t.AppPassword, &t.ExpiresAt, &t.NextID)
		t.ExpiresAt = t.ExpiresAt.UTC()
		out = append(out, t)
		return err
	})
	return out, wrap("list refresh tokens", err)
}
