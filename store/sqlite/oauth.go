package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/dpop"
	"github.com/rhizome-pds/rhizome/oauth/server"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// The OAuth authorization server's state (migrations 2 and 4): requests and
// their codes, grants, and used DPoP proofs.

// pruneBatch bounds how many expired rows one write deletes: each write
// adds at most one, so the tables shrink back to their live rows while no
// write pays for a backlog.
const pruneBatch = 32

// OAuth returns the OAuth authorization server's store (server.Store) in
// this database.
func (s *Store) OAuth() server.Store { return oauthStore{s} }

// DPoPReplay returns the DPoP replay cache (dpop.ReplayCache) in this
// database.
func (s *Store) DPoPReplay() dpop.ReplayCache { return replayCache{s} }

type oauthStore struct{ s *Store }

var _ server.Store = oauthStore{}

const requestCols = `id, client_id, redirect_uri, state, scope, code_challenge, response_mode, jkt,
	login_hint, expires_at, did, handle, device, code_hash, client_jkt`

// PutRequest implements server.Store; it also deletes a few expired
// requests.
func (o oauthStore) PutRequest(ctx context.Context, r *server.Request) error {
	const op = "put oauth request"
	if r.ID == "" {
		return wrap(op, invalid("request lacks an ID"))
	}
	err := o.s.write(ctx, func(w *wconn) error {
		err := w.exec(`DELETE FROM oauth_request WHERE id IN
			(SELECT id FROM oauth_request WHERE expires_at < ? LIMIT ?)`, millis(store.Now()), pruneBatch)
		if err != nil {
			return err
		}
		return w.exec(`INSERT INTO oauth_request(`+requestCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET client_id = excluded.client_id, redirect_uri = excluded.redirect_uri,
			state = excluded.state, scope = excluded.scope, code_challenge = excluded.code_challenge,
			response_mode = excluded.response_mode, jkt = excluded.jkt, login_hint = excluded.login_hint,
			expires_at = excluded.expires_at, did = excluded.did, handle = excluded.handle,
			device = excluded.device, code_hash = excluded.code_hash, client_jkt = excluded.client_jkt`,
			r.ID, r.ClientID, r.RedirectURI, r.State, r.Scope, r.CodeChallenge, r.ResponseMode, r.JKT,
			r.LoginHint, millis(r.ExpiresAt), string(r.DID), string(r.Handle), r.Device, r.CodeHash, r.ClientJKT)
	})
	return wrap(op, err)
}

// scanRequest reads a row of requestCols.
func scanRequest(row rowScanner) (*server.Request, error) {
	var r server.Request
	var exp int64
	err := row.Scan(&r.ID, &r.ClientID, &r.RedirectURI, &r.State, &r.Scope, &r.CodeChallenge, &r.ResponseMode,
		&r.JKT, &r.LoginHint, &exp, &r.DID, &r.Handle, &r.Device, &r.CodeHash, &r.ClientJKT)
	r.ExpiresAt = fromMillis(exp)
	return &r, err
}

// Request implements server.Store.
func (o oauthStore) Request(ctx context.Context, id string) (*server.Request, error) {
	var r *server.Request
	err := o.s.read(ctx, `SELECT `+requestCols+` FROM oauth_request WHERE id = ? AND expires_at >= ?`,
		[]any{id, millis(store.Now())}, func(rows *sql.Rows) (err error) {
			r, err = scanRequest(rows)
			return err
		})
	if err == nil && r == nil {
		err = notFound("no oauth request %q", id)
	}
	return r, wrap("read oauth request", err)
}

// DeleteRequest implements server.Store.
func (o oauthStore) DeleteRequest(ctx context.Context, id string) error {
	err := o.s.write(ctx, func(w *wconn) error { return w.exec(`DELETE FROM oauth_request WHERE id = ?`, id) })
	return wrap("delete oauth request", err)
}

// TakeCode implements server.Store: one DELETE … RETURNING in the
// writer, so of several takers only the first finds the row. An expired
// code's request is deleted too, and not returned.
func (o oauthStore) TakeCode(ctx context.Context, codeHash string) (*server.Request, error) {
	const op = "take oauth code"
	if codeHash == "" {
		return nil, wrap(op, notFound("no such code"))
	}
	var r *server.Request
	err := o.s.write(ctx, func(w *wconn) error {
		got, err := scanRequest(w.row(`DELETE FROM oauth_request WHERE code_hash = ? RETURNING `+requestCols, codeHash))
		switch {
		case isNoRows(err):
			return notFound("no such code")
		case err != nil:
			return err
		}
		r = got
		return nil
	})
	if err == nil && store.Now().After(r.ExpiresAt) {
		r, err = nil, notFound("code expired")
	}
	return r, wrap(op, err)
}

const familyCols = `id, did, client_id, scope, jkt, refresh_hash, created_at, refreshed_at, expires_at, revoked_at, client_jkt`

// PutFamily implements server.Store.
func (o oauthStore) PutFamily(ctx context.Context, f *server.Family) error {
	const op = "put oauth grant"
	if f.ID == "" || f.DID == "" {
		return wrap(op, invalid("grant lacks an ID or DID"))
	}
	var revoked sql.NullInt64
	if !f.RevokedAt.IsZero() {
		revoked = sql.NullInt64{Int64: millis(f.RevokedAt), Valid: true}
	}
	err := o.s.write(ctx, func(w *wconn) error {
		return w.exec(`INSERT INTO oauth_family(`+familyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.ID, string(f.DID), f.ClientID, f.Scope, f.JKT, f.RefreshHash,
			millis(f.CreatedAt), millis(f.RefreshedAt), millis(f.ExpiresAt), revoked, f.ClientJKT)
	})
	if kindOf(err) == rhizome.Exists {
		err = exists("oauth grant %q exists", f.ID)
	}
	return wrap(op, err)
}

// scanFamily reads a row of familyCols.
func scanFamily(row rowScanner) (*server.Family, error) {
	var f server.Family
	var created, refreshed, exp int64
	var revoked sql.NullInt64
	err := row.Scan(&f.ID, &f.DID, &f.ClientID, &f.Scope, &f.JKT, &f.RefreshHash, &created, &refreshed, &exp, &revoked, &f.ClientJKT)
	f.CreatedAt, f.RefreshedAt, f.ExpiresAt = fromMillis(created), fromMillis(refreshed), fromMillis(exp)
	if revoked.Valid {
		f.RevokedAt = fromMillis(revoked.Int64)
	}
	return &f, err
}

// Family implements server.Store.
func (o oauthStore) Family(ctx context.Context, id string) (*server.Family, error) {
	var f *server.Family
	err := o.s.read(ctx, `SELECT `+familyCols+` FROM oauth_family WHERE id = ?`, []any{id},
		func(rows *sql.Rows) (err error) {
			f, err = scanFamily(rows)
			return err
		})
	if err == nil && f == nil {
		err = notFound("no oauth grant %q", id)
	}
	return f, wrap("read oauth grant", err)
}

// Families implements server.Store.
func (o oauthStore) Families(ctx context.Context, did syntax.DID) ([]*server.Family, error) {
	var out []*server.Family
	err := o.s.read(ctx, `SELECT `+familyCols+` FROM oauth_family WHERE did = ? ORDER BY created_at DESC, id DESC`,
		[]any{string(did)}, func(rows *sql.Rows) error {
			f, err := scanFamily(rows)
			out = append(out, f)
			return err
		})
	return out, wrap("list oauth grants", err)
}

// Rotate implements server.Store: the update's condition is the
// compare-and-swap; when it matches nothing, the grant is missing
// (NotFound) or has moved on or been revoked (Conflict).
func (o oauthStore) Rotate(ctx context.Context, id, oldHash, newHash string, at time.Time) error {
	err := o.s.write(ctx, func(w *wconn) error {
		n, err := w.execN(`UPDATE oauth_family SET refresh_hash = ?, refreshed_at = ?
			WHERE id = ? AND refresh_hash = ? AND revoked_at IS NULL`, newHash, millis(at), id, oldHash)
		if err != nil || n == 1 {
			return err
		}
		return familyConflict(w, id)
	})
	return wrap("rotate oauth refresh token", err)
}

// familyConflict is the error of a compare-and-swap on grant id that
// matched nothing.
func familyConflict(w *wconn, id string) error {
	var one int
	err := w.row(`SELECT 1 FROM oauth_family WHERE id = ?`, id).Scan(&one)
	switch {
	case isNoRows(err):
		return notFound("no oauth grant %q", id)
	case err != nil:
		return err
	}
	return conflict("refresh token of grant %q is not current, or the grant is revoked", id)
}

// Revoke implements server.Store.
func (o oauthStore) Revoke(ctx context.Context, id string, at time.Time) error {
	err := o.s.write(ctx, func(w *wconn) error {
		n, err := w.execN(`UPDATE oauth_family SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, millis(at), id)
		if err == nil && n == 0 {
			err = notFound("no oauth grant %q", id)
		}
		return err
	})
	return wrap("revoke oauth grant", err)
}

// PruneFamilies implements server.Store.
func (o oauthStore) PruneFamilies(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := o.s.write(ctx, func(w *wconn) error {
		var err error
		n, err = w.execN(`DELETE FROM oauth_family WHERE revoked_at < ?1 OR expires_at < ?1`, millis(before))
		return err
	})
	return int(n), wrap("prune oauth grants", err)
}

type replayCache struct{ s *Store }

var _ dpop.ReplayCache = replayCache{}

// Remember implements dpop.ReplayCache with one upsert that succeeds only
// if the key is new or expired; it also deletes a few expired keys.
func (c replayCache) Remember(ctx context.Context, key string, exp time.Time) (bool, error) {
	var fresh bool
	err := c.s.write(ctx, func(w *wconn) error {
		now := millis(store.Now())
		err := w.exec(`DELETE FROM dpop_jti WHERE key IN (SELECT key FROM dpop_jti WHERE expires_at <= ? LIMIT ?)`,
			now, pruneBatch)
		if err != nil {
			return err
		}
		n, err := w.execN(`INSERT INTO dpop_jti(key, expires_at) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at WHERE dpop_jti.expires_at <= ?`,
			key, millis(exp), now)
		fresh = n == 1
		return err
	})
	return fresh, wrap("remember dpop proof", err)
}
