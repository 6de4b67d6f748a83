package sqlite

import (
	"context"
	"database/sql"

	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// ListRefreshTokens implements store.Sessions: the account's live tokens
// in ID order, the cursor being an ID.
func (s *Store) ListRefreshTokens(ctx context.Context, did syntax.DID, p store.Page) ([]store.RefreshToken, error) {
	q := `SELECT t.id, t.app_password, t.expires_at, t.next_id FROM refresh_token t
		WHERE t.actor = (SELECT id FROM actor WHERE did = ?) AND t.expires_at > ? AND ` +
		pageQuery(`t.id %s ? ORDER BY t.id %s LIMIT ?`, p.Reverse)
	var out []store.RefreshToken
	err := s.read(ctx, q, []any{string(did), millis(store.Now()), afterKey(p), p.N()}, func(r *sql.Rows) error {
		t := store.RefreshToken{DID: did}
		var exp int64
		err := r.Scan(&t.ID, &t.AppPassword, &exp, &t.NextID)
		t.ExpiresAt = fromMillis(exp)
		out = append(out, t)
		return err
	})
	return out, wrap("list refresh tokens", err)
}
