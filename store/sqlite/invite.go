package sqlite

import (
	"context"
	"database/sql"

	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// CreateInvite implements store.Invites.
func (s *Store) CreateInvite(ctx context.Context, inv store.Invite) error {
	const op = "create invite"
	if inv.Code == "" {
		return wrap(op, invalid("invite has no code"))
	}
	err := s.write(ctx, func(w *wconn) error {
		err := w.exec(`INSERT INTO invite(code, available, disabled, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			inv.Code, inv.Available, boolInt(inv.Disabled), inv.CreatedBy, millis(orNow(inv.CreatedAt)))
		if err != nil {
			return err
		}
		for _, did := range inv.UsedBy {
			if err := w.exec(`INSERT INTO invite_use(code, did) VALUES (?, ?)`, inv.Code, string(did)); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(op, err)
}

// useInvite takes one use of code for did: NotFound if there is no such
// code, Conflict if it is disabled or used up.
func (w *wconn) useInvite(code string, did syntax.DID) error {
	var avail, disabled int64
	err := w.row(`SELECT available, disabled FROM invite WHERE code = ?`, code).Scan(&avail, &disabled)
	switch {
	case isNoRows(err):
		return notFound("no invite code %q", code)
	case err != nil:
		return err
	case disabled != 0:
		return conflict("invite code %q is disabled", code)
	case avail <= 0:
		return conflict("invite code %q is used up", code)
	}
	if err := w.exec(`UPDATE invite SET available = available - 1 WHERE code = ?`, code); err != nil {
		return err
	}
	return w.exec(`INSERT INTO invite_use(code, did) VALUES (?, ?)`, code, string(did))
}

// Invite implements store.Invites.
func (s *Store) Invite(ctx context.Context, code string) (store.Invite, error) {
	var inv store.Invite
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		got, err := readInvites(ctx, tx, `code = ?`, code)
		if err == nil && len(got) == 0 {
			err = notFound("no invite code %q", code)
		}
		if err == nil {
			inv = got[0]
		}
		return err
	})
	return inv, wrap("read invite", err)
}

// ListInvites implements store.Invites: codes in code order, the cursor
// being a code.
func (s *Store) ListInvites(ctx context.Context, p store.Page) ([]store.Invite, error) {
	var out []store.Invite
	err := s.readTx(ctx, func(tx *sql.Tx) (err error) {
		cond := pageQuery(`code %s ? ORDER BY code %s LIMIT ?`, p.Reverse)
		out, err = readInvites(ctx, tx, cond, afterKey(p), p.N())
		return err
	})
	return out, wrap("list invites", err)
}

// readInvites reads the invites matching cond, with their uses.
func readInvites(ctx context.Context, tx *sql.Tx, cond string, args ...any) ([]store.Invite, error) {
	var out []store.Invite
	q := `SELECT code, available, disabled, created_by, created_at FROM invite WHERE ` + cond
	err := queryRows(ctx, tx, q, args, func(r *sql.Rows) error {
		var inv store.Invite
		var created int64
		err := r.Scan(&inv.Code, &inv.Available, &inv.Disabled, &inv.CreatedBy, &created)
		inv.CreatedAt = fromMillis(created)
		out = append(out, inv)
		return err
	})
	for i := range out {
		if err != nil {
			break
		}
		out[i].UsedBy, err = inviteUses(ctx, tx, out[i].Code)
	}
	return out, err
}

func inviteUses(ctx context.Context, tx *sql.Tx, code string) ([]syntax.DID, error) {
	var dids []syntax.DID
	err := queryRows(ctx, tx, `SELECT did FROM invite_use WHERE code = ? ORDER BY id`, []any{code}, func(r *sql.Rows) error {
		var d syntax.DID
		err := r.Scan(&d)
		dids = append(dids, d)
		return err
	})
	return dids, err
}

// DisableInvite implements store.Invites.
func (s *Store) DisableInvite(ctx context.Context, code string) error {
	err := s.write(ctx, func(w *wconn) error {
		n, err := w.execN(`UPDATE invite SET disabled = 1 WHERE code = ?`, code)
		if err == nil && n == 0 {
			err = notFound("no invite code %q", code)
		}
		return err
	})
	return wrap("disable invite", err)
}
