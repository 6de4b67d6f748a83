package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// CreateAccount implements store.Accounts. The checks (account, invite,
// genesis head) go in the first round trip, the writes and the events in
// the second.
func (s *Store) CreateAccount(ctx context.Context, a store.NewAccount) (int64, error) {
	const op = "create account"
	if err := checkNewAccount(a); err != nil {
		return 0, wrap(op, err)
	}
	did := a.Account.DID
	var seq int64
	err := s.write(ctx, func(t *txn) error {
		queueNoAccount(t, did)
		if a.InviteCode != "" {
			queueInviteCheck(t, a.InviteCode)
		}
		actor := queueHead(t, a.Genesis, exists("repository %s exists", did))
		if err := t.send(ctx); err != nil {
			return err
		}
		if a.InviteCode != "" {
			queueInviteUse(t, a.InviteCode, did)
		}
		if err := queueCommit(ctx, t, *actor, a.Genesis); err != nil {
			return err
		}
		queueInsertAccount(t, *actor, a.Account)
		queueEvents(t, a.Events, did)
		if a.Genesis.Event != nil {
			queueEvent(t, *a.Genesis.Event, did, &seq)
		}
		return nil
	})
	return seq, wrap(op, err)
}

func checkNewAccount(a store.NewAccount) error {
	switch {
	case a.Account.DID == "" || a.Account.Handle == "":
		return invalid("account lacks a DID or handle")
	case a.Genesis.Head.DID != a.Account.DID:
		return invalid("genesis commit is for %s, not %s", a.Genesis.Head.DID, a.Account.DID)
	case a.Genesis.Prev.Defined():
		return invalid("genesis commit has a prev")
	}
	if err := checkEvents(a.Events, a.Account.DID); err != nil {
		return err
	}
	return checkCommit(a.Genesis)
}

// queueNoAccount queues the check that did has no account.
func queueNoAccount(t *txn, did syntax.DID) {
	t.queue(`SELECT EXISTS (SELECT 1 FROM account ac JOIN actor a ON a.id = ac.actor WHERE a.did = $1)`,
		string(did)).QueryRow(func(r pgx.Row) error {
		var taken bool
		if err := r.Scan(&taken); err != nil || !taken {
			return err
		}
		return exists("account %s exists", did)
	})
}

func queueInsertAccount(t *txn, actor int64, a store.Account) {
	status := a.Status
	if status == "" {
		status = store.Active
	}
	t.queue(`INSERT INTO account (actor, handle, handle_key, email, email_key, password_hash, signing_key, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		actor, string(a.Handle), handleKey(a.Handle), a.Email, emailKey(a.Email), a.PasswordHash,
		nonNil(a.SigningKey), string(status), orNow(a.CreatedAt))
}

// handleKey and emailKey are the forms handles and emails are compared in.
func handleKey(h syntax.Handle) string { return strings.ToLower(string(h)) }

func emailKey(email string) string { return strings.ToLower(email) }

// accountQuery reads accounts; callers append the condition.
const accountQuery = `SELECT a.did, ac.handle, ac.email, ac.password_hash, ac.signing_key, ac.status, ac.created_at
	FROM account ac JOIN actor a ON a.id = ac.actor WHERE `

// Account implements store.Accounts.
func (s *Store) Account(ctx context.Context, did syntax.DID) (store.Account, error) {
	return s.account(ctx, "read account", "a.did", string(did))
}

// AccountByHandle implements store.Accounts.
func (s *Store) AccountByHandle(ctx context.Context, h syntax.Handle) (store.Account, error) {
	return s.account(ctx, "read account by handle", "ac.handle_key", handleKey(h))
}

// AccountByEmail implements store.Accounts.
func (s *Store) AccountByEmail(ctx context.Context, email string) (store.Account, error) {
	if email == "" {
		return store.Account{}, wrap("read account by email", notFound("no account has an empty email"))
	}
	return s.account(ctx, "read account by email", "ac.email_key", emailKey(email))
}

// account reads the one account whose col is v.
func (s *Store) account(ctx context.Context, op, col, v string) (store.Account, error) {
	var a store.Account
	found := false
	err := s.query(ctx, accountQuery+col+" = $1", []any{v}, func(r pgx.Rows) (err error) {
		a, err = scanAccount(r)
		found = true
		return err
	})
	if err == nil && !found {
		err = notFound("no account with %s %q", strings.TrimSuffix(strings.TrimPrefix(col, "a."), "_key"), v)
	}
	return a, wrap(op, err)
}

func scanAccount(r pgx.Rows) (store.Account, error) {
	var a store.Account
	err := r.Scan(&a.DID, &a.Handle, &a.Email, &a.PasswordHash, &a.SigningKey, &a.Status, &a.CreatedAt)
	a.CreatedAt = a.CreatedAt.UTC()
	return a, err
}

// ListAccounts implements store.Accounts.
func (s *Store) ListAccounts(ctx context.Context, p store.Page) ([]store.Account, error) {
	var args []any
	cond, order := pageSQL("a.did", p, &args)
	var out []store.Account
	err := s.query(ctx, accountQuery+"true"+cond+order, args, func(r pgx.Rows) error {
		a, err := scanAccount(r)
		out = append(out, a)
		return err
	})
	return out, wrap("list accounts", err)
}

// UpdateAccount implements store.Accounts: the update, then (if it found
// the account) the events and the commit.
func (s *Store) UpdateAccount(ctx context.Context, did syntax.DID, u store.AccountUpdate) error {
	const op = "update account"
	if err := checkEvents(u.Events, did); err != nil {
		return wrap(op, err)
	}
	args := []any{string(did)}
	q := `UPDATE account SET ` + strings.Join(accountSets(u, &args), ", ") +
		` WHERE actor = (SELECT id FROM actor WHERE did = $1) RETURNING actor`
	err := s.write(ctx, func(t *txn) error {
		var actor int64
		t.queue(q, args...).QueryRow(scanOne(notFound("no account %s", did), &actor))
		if err := t.send(ctx); err != nil {
			return err
		}
		queueEvents(t, u.Events, did)
		return nil
	})
	return wrap(op, err)
}

// accountSets turns an update into SET clauses, adding their arguments to
// args; with nothing to change it still names a column so the statement
// finds the row.
func accountSets(u store.AccountUpdate, args *[]any) []string {
	sets := []string{"actor = actor"}
	set := func(col string, v any) { sets = append(sets, col+" = "+param(args, v)) }
	if u.Handle != nil {
		set("handle", string(*u.Handle))
		set("handle_key", handleKey(*u.Handle))
	}
	if u.Email != nil {
		set("email", *u.Email)
		set("email_key", emailKey(*u.Email))
	}
	if u.PasswordHash != nil {
		set("password_hash", *u.PasswordHash)
	}
	if u.Status != nil {
		set("status", string(*u.Status))
	}
	return sets
}

// DeleteAccount implements store.Accounts: deleting the DID's actor row
// cascades to the small per-account tables; the repository's blocks,
// record index and blob references are deleted here. Events, invite uses
// and PLC operations, keyed by DID text, stay.
func (s *Store) DeleteAccount(ctx context.Context, did syntax.DID, events ...store.Event) error {
	const op = "delete account"
	if err := checkEvents(events, did); err != nil {
		return wrap(op, err)
	}
	err := s.write(ctx, func(t *txn) error {
		var actor int64
		t.queue(`DELETE FROM actor WHERE did = $1 RETURNING id`, string(did)).
			QueryRow(scanOne(notFound("no account %s", did), &actor))
		if err := t.send(ctx); err != nil {
			return err
		}
		for _, table := range []string{"block", "record", "blob_ref"} {
			t.queue(`DELETE FROM `+table+` WHERE actor = $1`, actor)
		}
		t.queue(`DELETE FROM event WHERE did = $1`, string(did))
		t.queue(`DELETE FROM oauth_family WHERE did = $1`, string(did)) // the account's app grants go with it
		t.queue(`DELETE FROM oauth_request WHERE did = $1`, string(did))
		queueEvents(t, events, did)
		return nil
	})
	return wrap(op, err)
}
