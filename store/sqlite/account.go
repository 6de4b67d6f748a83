package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// CreateAccount implements store.Accounts.
func (s *Store) CreateAccount(ctx context.Context, a store.NewAccount) (int64, error) {
	const op = "create account"
	if err := checkNewAccount(a); err != nil {
		return 0, wrap(op, err)
	}
	var seq int64
	err := s.write(ctx, func(w *wconn) (err error) {
		seq, err = w.createAccount(a)
		return err
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
	return checkCommit(a.Genesis)
}

// createAccount writes the invite use, the genesis commit and the account.
func (w *wconn) createAccount(a store.NewAccount) (int64, error) {
	did := a.Account.DID
	var n int
	err := w.row(`SELECT count(*) FROM account ac JOIN actor a ON a.id = ac.actor WHERE a.did = ?`, string(did)).Scan(&n)
	if err != nil || n > 0 {
		return 0, orErr(err, exists("account %s exists", did))
	}
	if a.InviteCode != "" {
		if err := w.useInvite(a.InviteCode, did); err != nil {
			return 0, err
		}
	}
	if err := w.appendEvents(a.Events, did); err != nil {
		return 0, err
	}
	seq, err := w.applyCommit(a.Genesis)
	if err != nil {
		return 0, err
	}
	return seq, w.insertAccount(a.Account)
}

// orErr returns err if it is set, else alt.
func orErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

func (w *wconn) insertAccount(a store.Account) error {
	status := a.Status
	if status == "" {
		status = store.Active
	}
	return w.exec(`INSERT INTO account(actor, handle, email, email_key, password_hash, signing_key, status, created_at)
		SELECT id, ?, ?, ?, ?, ?, ?, ? FROM actor WHERE did = ?`,
		string(a.Handle), a.Email, emailKey(a.Email), a.PasswordHash, nonNil(a.SigningKey),
		string(status), millis(orNow(a.CreatedAt)), string(a.DID))
}

// emailKey is the form emails are compared in.
func emailKey(email string) string { return strings.ToLower(email) }

// accountQuery reads accounts; callers append the condition.
const accountQuery = `SELECT a.did, ac.handle, ac.email, ac.password_hash, ac.signing_key, ac.status, ac.created_at
	FROM account ac JOIN actor a ON a.id = ac.actor WHERE `

// Account implements store.Accounts.
func (s *Store) Account(ctx context.Context, did syntax.DID) (store.Account, error) {
	return s.account(ctx, "read account", "a.did = ?", string(did))
}

// AccountByHandle implements store.Accounts.
func (s *Store) AccountByHandle(ctx context.Context, h syntax.Handle) (store.Account, error) {
	return s.account(ctx, "read account by handle", "ac.handle = ?", string(h))
}

// AccountByEmail implements store.Accounts.
func (s *Store) AccountByEmail(ctx context.Context, email string) (store.Account, error) {
	if email == "" {
		return store.Account{}, wrap("read account by email", notFound("no account has an empty email"))
	}
	return s.account(ctx, "read account by email", "ac.email_key = ?", emailKey(email))
}

// account reads the one account matching cond.
func (s *Store) account(ctx context.Context, op, cond string, arg any) (store.Account, error) {
	var a store.Account
	found := false
	err := s.read(ctx, accountQuery+cond, []any{arg}, func(r *sql.Rows) (err error) {
		a, err = scanAccount(r)
		found = true
		return err
	})
	if err == nil && !found {
		col := strings.TrimSuffix(cond, " = ?")
		col = strings.TrimSuffix(col[strings.IndexByte(col, '.')+1:], "_key")
		err = notFound("no account with %s %q", col, arg)
	}
	return a, wrap(op, err)
}

func scanAccount(r *sql.Rows) (store.Account, error) {
	var a store.Account
	var created int64
	err := r.Scan(&a.DID, &a.Handle, &a.Email, &a.PasswordHash, &a.SigningKey, &a.Status, &created)
	a.CreatedAt = fromMillis(created)
	return a, err
}

// ListAccounts implements store.Accounts.
func (s *Store) ListAccounts(ctx context.Context, p store.Page) ([]store.Account, error) {
	q := accountQuery + pageQuery(`a.did %s ? ORDER BY a.did %s LIMIT ?`, p.Reverse)
	var out []store.Account
	err := s.read(ctx, q, []any{afterKey(p), p.N()}, func(r *sql.Rows) error {
		a, err := scanAccount(r)
		out = append(out, a)
		return err
	})
	return out, wrap("list accounts", err)
}

// UpdateAccount implements store.Accounts.
func (s *Store) UpdateAccount(ctx context.Context, did syntax.DID, u store.AccountUpdate) error {
	sets, args := accountSets(u)
	q := `UPDATE account SET ` + strings.Join(sets, ", ") +
		` WHERE actor = (SELECT id FROM actor WHERE did = ?)`
	err := s.write(ctx, func(w *wconn) error {
		n, err := w.execN(q, append(args, string(did))...)
		if err == nil && n == 0 {
			err = notFound("no account %s", did)
		}
		if err == nil {
			err = w.appendEvents(u.Events, did)
		}
		return err
	})
	return wrap("update account", err)
}

// accountSets turns an update into SET clauses; with nothing to change it
// still names a column so the statement finds the row.
func accountSets(u store.AccountUpdate) ([]string, []any) {
	sets, args := []string{"actor = actor"}, []any{}
	if u.Handle != nil {
		sets, args = append(sets, "handle = ?"), append(args, string(*u.Handle))
	}
	if u.Email != nil {
		sets, args = append(sets, "email = ?", "email_key = ?"), append(args, *u.Email, emailKey(*u.Email))
	}
	if u.PasswordHash != nil {
		sets, args = append(sets, "password_hash = ?"), append(args, *u.PasswordHash)
	}
	if u.Status != nil {
		sets, args = append(sets, "status = ?"), append(args, string(*u.Status))
	}
	return sets, args
}

// DeleteAccount implements store.Accounts: everything keyed by the DID's
// actor row goes with it (foreign keys cascade); events, invite uses and
// PLC operations, keyed by DID text, stay.
func (s *Store) DeleteAccount(ctx context.Context, did syntax.DID, events ...store.Event) error {
	err := s.write(ctx, func(w *wconn) error {
		n, err := w.execN(`DELETE FROM actor WHERE did = ?`, string(did))
		if err == nil && n == 0 {
			err = notFound("no account %s", did)
		}
		if err == nil {
			err = w.forgetEvents(did)
		}
		if err == nil { // the account's app grants and pending sign-ins go with it
			_, err = w.execN(`DELETE FROM oauth_family WHERE did = ?`, string(did))
		}
		if err == nil {
			_, err = w.execN(`DELETE FROM oauth_request WHERE did = ?`, string(did))
		}
		if err == nil {
			err = w.appendEvents(events, did)
		}
		return err
	})
	return wrap("delete account", err)
}
