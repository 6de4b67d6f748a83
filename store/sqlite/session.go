package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// PutRefreshToken implements store.Sessions.
func (s *Store) PutRefreshToken(ctx context.Context, t store.RefreshToken) error {
	if t.ID == "" || t.DID == "" {
		return wrap("put refresh token", invalid("refresh token lacks an ID or DID"))
	}
	return wrap("put refresh token", s.write(ctx, func(w *wconn) error { return w.putToken(t) }))
}

func (w *wconn) putToken(t store.RefreshToken) error {
	actor, err := w.actorID(t.DID, true)
	if err != nil {
		return err
	}
	return w.exec(`INSERT INTO refresh_token(id, actor, app_password, expires_at, next_id) VALUES (?, ?, ?, ?, ?)`,
		t.ID, actor, t.AppPassword, millis(t.ExpiresAt), t.NextID)
}

// tokenQuery reads a token that has not expired.
const tokenQuery = `SELECT a.did, t.app_password, t.expires_at, t.next_id
	FROM refresh_token t JOIN actor a ON a.id = t.actor WHERE t.id = ? AND t.expires_at > ?`

// RefreshToken implements store.Sessions.
func (s *Store) RefreshToken(ctx context.Context, id string) (store.RefreshToken, error) {
	if s.isClosed() {
		return store.RefreshToken{}, wrap("read refresh token", errClosed)
	}
	t, err := scanToken(s.rdb.QueryRowContext(ctx, tokenQuery, id, millis(store.Now())), id)
	return t, wrap("read refresh token", err)
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

func scanToken(r rowScanner, id string) (store.RefreshToken, error) {
	t := store.RefreshToken{ID: id}
	var exp int64
	err := r.Scan(&t.DID, &t.AppPassword, &exp, &t.NextID)
	if isNoRows(err) {
		return t, notFound("no live refresh token %q", id)
	}
	t.ExpiresAt = fromMillis(exp)
	return t, err
}

// RotateRefreshToken implements store.Sessions.
func (s *Store) RotateRefreshToken(ctx context.Context, old string, next store.RefreshToken, oldExpires time.Time) error {
	const op = "rotate refresh token"
	if next.ID == "" || next.DID == "" || next.ID == old {
		return wrap(op, invalid("successor token lacks an ID or DID, or reuses the old ID"))
	}
	err := s.write(ctx, func(w *wconn) error {
		t, err := scanToken(w.row(tokenQuery, old, millis(store.Now())), old)
		switch {
		case err != nil:
			return err
		case t.NextID != "":
			return conflict("refresh token %q was already rotated", old)
		}
		exp := min(millis(t.ExpiresAt), millis(oldExpires))
		if err := w.exec(`UPDATE refresh_token SET next_id = ?, expires_at = ? WHERE id = ?`, next.ID, exp, old); err != nil {
			return err
		}
		return w.putToken(next)
	})
	return wrap(op, err)
}

// DeleteRefreshToken implements store.Sessions; NotFound if it is absent.
func (s *Store) DeleteRefreshToken(ctx context.Context, id string) error {
	err := s.write(ctx, func(w *wconn) error {
		n, err := w.execN(`DELETE FROM refresh_token WHERE id = ?`, id)
		if err == nil && n == 0 {
			err = notFound("no refresh token %q", id)
		}
		return err
	})
	return wrap("delete refresh token", err)
}

// DeleteRefreshTokens implements store.Sessions.
func (s *Store) DeleteRefreshTokens(ctx context.Context, did syntax.DID, appPassword string) error {
	q := `DELETE FROM refresh_token WHERE actor = (SELECT id FROM actor WHERE did = ?)`
	args := []any{string(did)}
	if appPassword != "" {
		q, args = q+` AND app_password = ?`, append(args, appPassword)
	}
	err := s.write(ctx, func(w *wconn) error { return w.exec(q, args...) })
	return wrap("delete refresh tokens", err)
}

// CreateAppPassword implements store.Sessions.
func (s *Store) CreateAppPassword(ctx context.Context, p store.AppPassword) error {
	const op = "create app password"
	if p.DID == "" || p.Name == "" {
		return wrap(op, invalid("app password lacks a DID or name"))
	}
	err := s.write(ctx, func(w *wconn) error {
		actor, err := w.actorID(p.DID, true)
		if err != nil {
			return err
		}
		err = w.exec(`INSERT INTO app_password(actor, name, password_hash, privileged, created_at) VALUES (?, ?, ?, ?, ?)`,
			actor, p.Name, p.PasswordHash, boolInt(p.Privileged), millis(orNow(p.CreatedAt)))
		if kindOf(err) == rhizome.Exists {
			return exists("app password %q exists", p.Name)
		}
		return err
	})
	return wrap(op, err)
}

// AppPasswords implements store.Sessions.
func (s *Store) AppPasswords(ctx context.Context, did syntax.DID) ([]store.AppPassword, error) {
	const q = `SELECT name, password_hash, privileged, created_at FROM app_password
		WHERE actor = (SELECT id FROM actor WHERE did = ?) ORDER BY name`
	var out []store.AppPassword
	err := s.read(ctx, q, []any{string(did)}, func(r *sql.Rows) error {
		p := store.AppPassword{DID: did}
		var created int64
		err := r.Scan(&p.Name, &p.PasswordHash, &p.Privileged, &created)
		p.CreatedAt = fromMillis(created)
		out = append(out, p)
		return err
	})
	return out, wrap("list app passwords", err)
}

// DeleteAppPassword implements store.Sessions.
func (s *Store) DeleteAppPassword(ctx context.Context, did syntax.DID, name string) error {
	err := s.write(ctx, func(w *wconn) error {
		actor, err := w.actorID(did, false)
		if err != nil {
			return err
		}
		n, err := w.execN(`DELETE FROM app_password WHERE actor = ? AND name = ?`, actor, name)
		if err == nil && n == 0 {
			return notFound("no app password %q for %s", name, did)
		}
		if err != nil {
			return err
		}
		return w.exec(`DELETE FROM refresh_token WHERE actor = ? AND app_password = ?`, actor, name)
	})
	return wrap("delete app password", err)
}
