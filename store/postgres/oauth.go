package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/dpop"
	"github.com/rhizome-pds/rhizome/oauth/server"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// The OAuth authorization server's state (migrations 4 and 6): requests and
// their codes, grants, and used DPoP proofs, shared by every node. Each
// compare-and-swap is one conditional statement, so the row lock the
// server takes for it decides races between nodes.

// pruneBatch bounds how many expired rows one write deletes: each write
// adds at most one, so the tables shrink back to their live rows while no
// write pays for a backlog. Rows another node is deleting are skipped.
const pruneBatch = 32

// OAuth returns the OAuth authorization server's store (server.Store) in
// this database.
func (s *Store) OAuth() server.Store { return oauthStore{s} }

// DPoPReplay returns the DPoP replay cache (dpop.ReplayCache) in this
// database, shared by every node on it.
func (s *Store) DPoPReplay() dpop.ReplayCache { return replayCache{s} }

type oauthStore struct{ s *Store }

var _ server.Store = oauthStore{}

const requestCols = `id, client_id, redirect_uri, state, scope, code_challenge, response_mode, jkt,
	login_hint, expires_at, did, handle, device, code_hash, client_jkt`

// PutRequest implements server.Store; it also deletes a few expired
// requests, in the same round trip.
func (o oauthStore) PutRequest(ctx context.Context, r *server.Request) error {
	const op = "put oauth request"
	if r.ID == "" {
		return wrap(op, invalid("request lacks an ID"))
	}
	err := o.s.write(ctx, func(tx *txn) error {
		tx.queue(`DELETE FROM oauth_request WHERE id IN (SELECT id FROM oauth_request
			WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, store.Now(), pruneBatch)
		tx.queue(`INSERT INTO oauth_request (`+requestCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, redirect_uri = excluded.redirect_uri,
			state = excluded.state, scope = excluded.scope, code_challenge = excluded.code_challenge,
			response_mode = excluded.response_mode, jkt = excluded.jkt, login_hint = excluded.login_hint,
			expires_at = excluded.expires_at, did = excluded.did, handle = excluded.handle,
			device = excluded.device, code_hash = excluded.code_hash, client_jkt = excluded.client_jkt`,
			r.ID, r.ClientID, r.RedirectURI, r.State, r.Scope, r.CodeChallenge, r.ResponseMode, r.JKT,
			r.LoginHint, ms(r.ExpiresAt), string(r.DID), string(r.Handle), r.Device, r.CodeHash, r.ClientJKT)
		return nil
	})
	return wrap(op, err)
}

// requestDest returns r's fields in requestCols order, to scan into.
func requestDest(r *server.Request) []any {
	return []any{&r.ID, &r.ClientID, &r.RedirectURI, &r.State, &r.Scope, &r.CodeChallenge, &r.ResponseMode,
		&r.JKT, &r.LoginHint, &r.ExpiresAt, &r.DID, &r.Handle, &r.Device, &r.CodeHash, &r.ClientJKT}
}

// Request implements server.Store.
func (o oauthStore) Request(ctx context.Context, id string) (*server.Request, error) {
	var r server.Request
	err := o.s.queryRow(ctx, `SELECT `+requestCols+` FROM oauth_request WHERE id = $1 AND expires_at >= $2`,
		[]any{id, store.Now()}, requestDest(&r)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, wrap("read oauth request", notFound("no oauth request %q", id))
	}
	r.ExpiresAt = r.ExpiresAt.UTC()
	return &r, wrap("read oauth request", err)
}

// DeleteRequest implements server.Store.
func (o oauthStore) DeleteRequest(ctx context.Context, id string) error {
	_, err := o.s.exec(ctx, `DELETE FROM oauth_request WHERE id = $1`, id)
	return wrap("delete oauth request", err)
}

// TakeCode implements server.Store: one DELETE … RETURNING, so of
// several takers on any nodes only the first finds the row. An expired
// code's request is deleted too, and not returned.
func (o oauthStore) TakeCode(ctx context.Context, codeHash string) (*server.Request, error) {
	const op = "take oauth code"
	if codeHash == "" {
		return nil, wrap(op, notFound("no such code"))
	}
	var r server.Request
	err := o.s.queryRow(ctx, `DELETE FROM oauth_request WHERE code_hash = $1 RETURNING `+requestCols,
		[]any{codeHash}, requestDest(&r)...)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, wrap(op, notFound("no such code"))
	case err != nil:
		return nil, wrap(op, err)
	case store.Now().After(r.ExpiresAt):
		return nil, wrap(op, notFound("code expired"))
	}
	r.ExpiresAt = r.ExpiresAt.UTC()
	return &r, nil
}

const familyCols = `id, did, client_id, scope, jkt, refresh_hash, created_at, refreshed_at, expires_at, revoked_at, client_jkt`

// PutFamily implements server.Store.
func (o oauthStore) PutFamily(ctx context.Context, f *server.Family) error {
	const op = "put oauth grant"
	if f.ID == "" || f.DID == "" {
		return wrap(op, invalid("grant lacks an ID or DID"))
	}
	var revoked *time.Time
	if !f.RevokedAt.IsZero() {
		t := ms(f.RevokedAt)
		revoked = &t
	}
	_, err := o.s.exec(ctx, `INSERT INTO oauth_family (`+familyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		f.ID, string(f.DID), f.ClientID, f.Scope, f.JKT, f.RefreshHash,
		ms(f.CreatedAt), ms(f.RefreshedAt), ms(f.ExpiresAt), revoked, f.ClientJKT)
	if kindOf(err) == rhizome.Exists {
		err = exists("oauth grant %q exists", f.ID)
	}
	return wrap(op, err)
}

// scanFamily reads a row of familyCols.
func scanFamily(row pgx.Row) (*server.Family, error) {
	var f server.Family
	var revoked *time.Time
	if err := row.Scan(&f.ID, &f.DID, &f.ClientID, &f.Scope, &f.JKT, &f.RefreshHash,
		&f.CreatedAt, &f.RefreshedAt, &f.ExpiresAt, &revoked, &f.ClientJKT); err != nil {
		return nil, err
	}
	f.CreatedAt, f.RefreshedAt, f.ExpiresAt = f.CreatedAt.UTC(), f.RefreshedAt.UTC(), f.ExpiresAt.UTC()
	if revoked != nil {
		f.RevokedAt = revoked.UTC()
	}
	return &f, nil
}

// Family implements server.Store.
func (o oauthStore) Family(ctx context.Context, id string) (*server.Family, error) {
	var f *server.Family
	err := o.s.withConn(ctx, func(c *pgx.Conn) (err error) {
		f, err = scanFamily(c.QueryRow(ctx, `SELECT `+familyCols+` FROM oauth_family WHERE id = $1`, id))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("no oauth grant %q", id)
	}
	return f, wrap("read oauth grant", err)
}

// Families implements server.Store.
func (o oauthStore) Families(ctx context.Context, did syntax.DID) ([]*server.Family, error) {
	var out []*server.Family
	err := o.s.query(ctx, `SELECT `+familyCols+` FROM oauth_family WHERE did = $1 ORDER BY created_at DESC, id DESC`,
		[]any{string(did)}, func(rows pgx.Rows) error {
			f, err := scanFamily(rows)
			out = append(out, f)
			return err
		})
	return out, wrap("list oauth grants", err)
}

// Rotate implements server.Store: the update's condition is the
// compare-and-swap (a racing update waits for the row and re-checks it);
// when it matches nothing, the grant is missing (NotFound) or has moved
// on or been revoked (Conflict).
func (o oauthStore) Rotate(ctx context.Context, id, oldHash, newHash string, at time.Time) error {
	const op = "rotate oauth refresh token"
	n, err := o.s.exec(ctx, `UPDATE oauth_family SET refresh_hash = $3, refreshed_at = $4
		WHERE id = $1 AND refresh_hash = $2 AND revoked_at IS NULL`, id, oldHash, newHash, ms(at))
	if err != nil || n == 1 {
		return wrap(op, err)
	}
	var one int
	err = o.s.queryRow(ctx, `SELECT 1 FROM oauth_family WHERE id = $1`, []any{id}, &one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		err = notFound("no oauth grant %q", id)
	case err == nil:
		err = conflict("refresh token of grant %q is not current, or the grant is revoked", id)
	}
	return wrap(op, err)
}

// Revoke implements server.Store.
func (o oauthStore) Revoke(ctx context.Context, id string, at time.Time) error {
	n, err := o.s.exec(ctx, `UPDATE oauth_family SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, ms(at))
	if err == nil && n == 0 {
		err = notFound("no oauth grant %q", id)
	}
	return wrap("revoke oauth grant", err)
}

// PruneFamilies implements server.Store.
func (o oauthStore) PruneFamilies(ctx context.Context, before time.Time) (int, error) {
	n, err := o.s.exec(ctx, `DELETE FROM oauth_family WHERE revoked_at < $1 OR expires_at < $1`, ms(before))
	return int(n), wrap("prune oauth grants", err)
}

type replayCache struct{ s *Store }

var _ dpop.ReplayCache = replayCache{}

// Remember implements dpop.ReplayCache with one upsert that changes a row
// only if the key is new or expired: concurrent callers on any nodes
// queue on the key's index entry, and only the first changes it. A few
// expired keys are deleted in the same round trip.
func (c replayCache) Remember(ctx context.Context, key string, exp time.Time) (bool, error) {
	var fresh bool
	err := c.s.write(ctx, func(tx *txn) error {
		now := store.Now()
		tx.queue(`DELETE FROM dpop_jti WHERE key IN (SELECT key FROM dpop_jti
			WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, pruneBatch)
		tx.queue(`INSERT INTO dpop_jti (key, expires_at) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE dpop_jti.expires_at <= $3`,
			key, ms(exp), now).Exec(func(ct pgconn.CommandTag) error {
			fresh = ct.RowsAffected() == 1
			return nil
		})
		return nil
	})
	return fresh && err == nil, wrap("remember dpop proof", err)
}
