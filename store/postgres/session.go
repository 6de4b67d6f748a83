package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// internActor is the statement that makes sure a DID has an actor row;
// statements after it in the same transaction find the row by DID.
const internActor = `INSERT INTO actor (did) VALUES ($1) ON CONFLICT (did) DO NOTHING`

// PutRefreshToken implements store.Sessions.
func (s *Store) PutRefreshToken(ctx context.Context, t store.RefreshToken) error {
	if t.ID == "" || t.DID == "" {
		return wrap("put refresh token", invalid("refresh token lacks an ID or DID"))
	}
	err := s.write(ctx, func(tx *txn) error {
		queuePutToken(tx, t)
		return nil
	})
	return wrap("put refresh token", err)
}

func queuePutToken(tx *txn, t store.RefreshToken) {
	tx.queue(internActor, string(t.DID))
	tx.queue(`INSERT INTO refresh_token (id, actor, app_password, expires_at, next_id)
		SELECT $2, id, $3, $4, $5 FROM actor WHERE did = $1`,
		string(t.DID), t.ID, t.AppPassword, ms(t.ExpiresAt), t.NextID)
}

// tokenQuery reads a token that has not expired.
const tokenQuery = `SELECT a.did, t.app_password, t.expires_at, t.next_id
	FROM refresh_token t JOIN actor a ON a.id = t.actor WHERE t.id = $1 AND t.expires_at > $2`

// RefreshToken implements store.Sessions.
func (s *Store) RefreshToken(ctx context.Context, id string) (store.RefreshToken, error) {
	t := store.RefreshToken{ID: id}
	err := s.queryRow(ctx, tokenQuery, []any{id, store.Now()}, &t.DID, &t.AppPassword, &t.ExpiresAt, &t.NextID)
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("no live refresh token %q", id)
	}
	t.ExpiresAt = t.ExpiresAt.UTC()
	return t, wrap("read refresh token", err)
}

// RotateRefreshToken implements store.Sessions: the old token is locked
// and checked, then linked to its successor, which is stored.
func (s *Store) RotateRefreshToken(ctx context.Context, old string, next store.RefreshToken, oldExpires time.Time) error {
	const op = "rotate refresh token"
	if next.ID == "" || next.DID == "" || next.ID == old {
		return wrap(op, invalid("successor token lacks an ID or DID, or reuses the old ID"))
	}
	err := s.write(ctx, func(tx *txn) error {
		var exp time.Time
		var nextID string
		tx.queue(`SELECT expires_at, next_id FROM refresh_token WHERE id = $1 AND expires_at > $2 FOR UPDATE`,
			old, store.Now()).QueryRow(scanOne(notFound("no live refresh token %q", old), &exp, &nextID))
		if err := tx.send(ctx); err != nil {
			return err
		}
		if nextID != "" {
			return conflict("refresh token %q was already rotated", old)
		}
		if o := ms(oldExpires); o.Before(exp) {
			exp = o
		}
		tx.queue(`UPDATE refresh_token SET next_id = $2, expires_at = $3 WHERE id = $1`, old, next.ID, exp)
		queuePutToken(tx, next)
		return nil
	})
	return wrap(op, err)
}

// DeleteRefreshToken implements store.Sessions; NotFound if it is absent.
func (s *Store) DeleteRefreshToken(ctx context.Context, id string) error {
	n, err := s.exec(ctx, `DELETE FROM refresh_token WHERE id = $1`, id)
	if err == nil && n == 0 {
		err = notFound("no refresh token %q", id)
	}
	return wrap("delete refresh token", err)
}

// DeleteRefreshTokens implements store.Sessions.
func (s *Store) DeleteRefreshTokens(ctx context.Context, did syntax.DID, appPassword string) error {
	q := `DELETE FROM refresh_token WHERE actor = (SELECT id FROM actor WHERE did = $1)`
	args := []any{string(did)}
	if appPassword != "" {
		q, args = q+` AND app_password = $2`, append(args, appPassword)
	}
	_, err := s.exec(ctx, q, args...)
	return wrap("delete refresh tokens", err)
}

// CreateAppPassword implements store.Sessions.
func (s *Store) CreateAppPassword(ctx context.Context, p store.AppPassword) error {
	const op = "create app password"
	if p.DID == "" || p.Name == "" {
		return wrap(op, invalid("app password lacks a DID or name"))
	}
	err := s.write(ctx, func(t *txn) error {
		t.queue(internActor, string(p.DID))
		t.queue(`INSERT INTO app_password (actor, name, password_hash, privileged, created_at)
			SELECT id, $2, $3, $4, $5 FROM actor WHERE did = $1`,
			string(p.DID), p.Name, p.PasswordHash, p.Privileged, orNow(p.CreatedAt))
		return nil
	})
	if isCode(err, "23505") {
		err = exists("app password %q exists", p.Name)
	}
	return wrap(op, err)
}

// AppPasswords implements store.Sessions.
func (s *Store) AppPasswords(ctx context.Context, did syntax.DID) ([]store.AppPassword, error) {
	const q = `SELECT name, password_hash, privileged, created_at FROM app_password
		WHERE actor = (SELECT id FROM actor WHERE did = $1) ORDER BY name`
	var out []store.AppPassword
	err := s.query(ctx, q, []any{string(did)}, func(r pgx.Rows) error {
		p := store.AppPassword{DID: did}
		err := r.Scan(&p.Name, &p.PasswordHash, &p.Privileged, &p.CreatedAt)
		p.CreatedAt = p.CreatedAt.UTC()
		out = append(out, p)
		return err
	})
	return out, wrap("list app passwords", err)
}

// DeleteAppPassword implements store.Sessions: the app password, then
// (if there was one) the sessions opened with it.
func (s *Store) DeleteAppPassword(ctx context.Context, did syntax.DID, name string) error {
	err := s.write(ctx, func(t *txn) error {
		var actor int64
		t.queue(`DELETE FROM app_password WHERE actor = (SELECT id FROM actor WHERE did = $1) AND name = $2 RETURNING actor`,
			string(did), name).QueryRow(scanOne(notFound("no app password %q for %s", name, did), &actor))
		if err := t.send(ctx); err != nil {
			return err
		}
		t.queue(`DELETE FROM refresh_token WHERE actor = $1 AND app_password = $2`, actor, name)
		return nil
	})
	return wrap("delete app password", err)
}
