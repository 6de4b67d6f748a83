package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// CreateInvite implements store.Invites.
func (s *Store) CreateInvite(ctx context.Context, inv store.Invite) error {
	const op = "create invite"
	if inv.Code == "" {
		return wrap(op, invalid("invite has no code"))
	}
	err := s.write(ctx, func(t *txn) error {
		t.queue(`INSERT INTO invite (code, available, disabled, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
			inv.Code, inv.Available, inv.Disabled, inv.CreatedBy, orNow(inv.CreatedAt))
		if len(inv.UsedBy) > 0 {
			dids := make([]string, len(inv.UsedBy))
			for i, d := range inv.UsedBy {
				dids[i] = string(d)
			}
			t.queue(`INSERT INTO invite_use (code, did) SELECT $1, d FROM unnest($2::text[]) WITH ORDINALITY AS u(d, n) ORDER BY n`,
				inv.Code, dids)
		}
		return nil
	})
	return wrap(op, err)
}

// queueInviteCheck queues the check that code can be used, locking its
// row until the transaction ends: NotFound if there is no such code,
// Conflict if it is disabled or used up.
func queueInviteCheck(t *txn, code string) {
	t.queue(`SELECT available, disabled FROM invite WHERE code = $1 FOR UPDATE`, code).QueryRow(func(r pgx.Row) error {
		var avail int
		var disabled bool
		err := r.Scan(&avail, &disabled)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return notFound("no invite code %q", code)
		case err != nil:
			return err
		case disabled:
			return conflict("invite code %q is disabled", code)
		case avail <= 0:
			return conflict("invite code %q is used up", code)
		}
		return nil
	})
}

// queueInviteUse queues taking one use of a checked code for did.
func queueInviteUse(t *txn, code string, did syntax.DID) {
	t.queue(`UPDATE invite SET available = available - 1 WHERE code = $1`, code)
	t.queue(`INSERT INTO invite_use (code, did) VALUES ($1, $2)`, code, string(did))
}

// inviteQuery reads invites with their uses; callers append the
// condition.
const inviteQuery = `SELECT i.code, i.available, i.disabled, i.created_by, i.created_at,
	ARRAY(SELECT u.did FROM invite_use u WHERE u.code = i.code ORDER BY u.id)
	FROM invite i WHERE `

// Invite implements store.Invites.
func (s *Store) Invite(ctx context.Context, code string) (store.Invite, error) {
	got, err := s.readInvites(ctx, "i.code = $1", []any{code})
	if err == nil && len(got) == 0 {
		err = notFound("no invite code %q", code)
	}
	if err != nil {
		return store.Invite{}, wrap("read invite", err)
	}
	return got[0], nil
}

// ListInvites implements store.Invites: codes in code order, the cursor
// being a code.
func (s *Store) ListInvites(ctx context.Context, p store.Page) ([]store.Invite, error) {
	var args []any
	cond, order := pageSQL("i.code", p, &args)
	out, err := s.readInvites(ctx, "true"+cond+order, args)
	return out, wrap("list invites", err)
}

// readInvites reads the invites matching cond, in one query.
func (s *Store) readInvites(ctx context.Context, cond string, args []any) ([]store.Invite, error) {
	var out []store.Invite
	err := s.query(ctx, inviteQuery+cond, args, func(r pgx.Rows) error {
		var inv store.Invite
		var used []string
		err := r.Scan(&inv.Code, &inv.Available, &inv.Disabled, &inv.CreatedBy, &inv.CreatedAt, &used)
		inv.CreatedAt = inv.CreatedAt.UTC()
		for _, d := range used {
			inv.UsedBy = append(inv.UsedBy, syntax.DID(d))
		}
		out = append(out, inv)
		return err
	})
	return out, err
}

// DisableInvite implements store.Invites.
func (s *Store) DisableInvite(ctx context.Context, code string) error {
	n, err := s.exec(ctx, `UPDATE invite SET disabled = true WHERE code = $1`, code)
	if err == nil && n == 0 {
		err = notFound("no invite code %q", code)
	}
	return wrap("disable invite", err)
}
