package storetest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

func (h harness) accounts(t *testing.T) {
	t.Run("CreateAccount", h.createAccount)
	t.Run("Lookups", h.accountLookups)
	t.Run("UpdateAccount", h.updateAccount)
	t.Run("DeleteAccount", h.deleteAccount)
	t.Run("ListAccounts", h.listAccounts)
}

// wantAccount compares accounts field by field.
func wantAccount(t *testing.T, got, want store.Account) {
	t.Helper()
	if got.DID != want.DID || got.Handle != want.Handle || got.Email != want.Email ||
		got.PasswordHash != want.PasswordHash || !bytes.Equal(got.SigningKey, want.SigningKey) ||
		got.Status != want.Status || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("got account %+v, want %+v", got, want)
	}
}

func (h harness) createAccount(t *testing.T) {
	h.test(t, "writes account and genesis", func(t *testing.T, s store.Store) {
		a, _ := newAccount(t, 1)
		seq, err := s.CreateAccount(t.Context(), a)
		must(t, err)
		if seq != 0 {
			t.Errorf("seq %d without an event, want 0", seq)
		}
		got, err := s.Account(t.Context(), a.Account.DID)
		must(t, err)
		wantAccount(t, got, a.Account)
		head, err := s.Head(t.Context(), a.Account.DID)
		must(t, err)
		if head != a.Genesis.Head {
			t.Fatalf("head %+v, want %+v", head, a.Genesis.Head)
		}
		wantBlocks(t, s, a.Account.DID, a.Genesis.Blocks, true)
	})
	h.test(t, "appends genesis event", func(t *testing.T, s store.Store) {
		a, _ := newAccount(t, 1)
		a.Genesis = withEvent(a.Genesis)
		seq, err := s.CreateAccount(t.Context(), a)
		must(t, err)
		evs, err := s.EventsAfter(t.Context(), 0, 10)
		must(t, err)
		if seq <= 0 || len(evs) != 1 || evs[0].Seq != seq || evs[0].DID != a.Account.DID || evs[0].Type != "commit" {
			t.Fatalf("seq %d, events %+v", seq, evs)
		}
	})
	h.test(t, "duplicate DID", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		a, _ := newAccount(t, 2)
		a.Account.DID, a.Genesis.Head.DID = testDID(1), testDID(1)
		_, err := s.CreateAccount(t.Context(), a)
		wantKind(t, err, rhizome.Exists)
		if _, err := s.AccountByHandle(t.Context(), testHandle(2)); !rhizome.Is(err, rhizome.NotFound) {
			t.Fatalf("handle of the refused account: %v", err)
		}
	})
	h.test(t, "duplicate handle", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		a, _ := newAccount(t, 2)
		a.Account.Handle = testHandle(1)
		wantRefused(t, s, a, rhizome.Exists)
	})
	h.test(t, "duplicate email in other case", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		a, _ := newAccount(t, 2)
		a.Account.Email = strings.ToUpper(testEmail(1))
		wantRefused(t, s, a, rhizome.Exists)
	})
	h.test(t, "empty emails do not clash", func(t *testing.T, s store.Store) {
		for n := 1; n <= 2; n++ {
			a, _ := newAccount(t, n)
			a.Account.Email = ""
			_, err := s.CreateAccount(t.Context(), a)
			must(t, err)
		}
	})
	h.createAccountInvites(t)
}

// wantRefused checks that CreateAccount fails with kind and writes nothing
// for the new DID: no account, head, blocks or event.
func wantRefused(t *testing.T, s store.Store, a store.NewAccount, kind rhizome.Kind) {
	t.Helper()
	a.Genesis = withEvent(a.Genesis)
	before := stateOf(t, s, a.Account.DID)
	_, err := s.CreateAccount(t.Context(), a)
	wantKind(t, err, kind)
	wantState(t, s, a.Account.DID, before)
	_, err = s.Account(t.Context(), a.Account.DID)
	wantNotFound(t, err)
	wantBlocks(t, s, a.Account.DID, a.Genesis.Blocks, false)
}

func (h harness) createAccountInvites(t *testing.T) {
	h.test(t, "uses invite", func(t *testing.T, s store.Store) {
		must(t, s.CreateInvite(t.Context(), store.Invite{Code: "code-1", Available: 2, CreatedBy: "admin", CreatedAt: t0}))
		a, _ := newAccount(t, 1)
		a.InviteCode = "code-1"
		_, err := s.CreateAccount(t.Context(), a)
		must(t, err)
		inv, err := s.Invite(t.Context(), "code-1")
		must(t, err)
		if inv.Available != 1 || !slices.Equal(inv.UsedBy, []syntax.DID{a.Account.DID}) {
			t.Fatalf("invite after use: %+v", inv)
		}
	})
	h.test(t, "unknown invite", func(t *testing.T, s store.Store) {
		a, _ := newAccount(t, 1)
		a.InviteCode = "no-such-code"
		wantRefused(t, s, a, rhizome.NotFound)
	})
	h.test(t, "exhausted invite", func(t *testing.T, s store.Store) {
		must(t, s.CreateInvite(t.Context(), store.Invite{Code: "code-1", Available: 1, CreatedBy: "admin", CreatedAt: t0}))
		a, _ := newAccount(t, 1)
		a.InviteCode = "code-1"
		_, err := s.CreateAccount(t.Context(), a)
		must(t, err)
		b, _ := newAccount(t, 2)
		b.InviteCode = "code-1"
		wantRefused(t, s, b, rhizome.Conflict)
		inv, err := s.Invite(t.Context(), "code-1")
		must(t, err)
		if inv.Available != 0 || len(inv.UsedBy) != 1 {
			t.Fatalf("invite after refused use: %+v", inv)
		}
	})
	h.test(t, "disabled invite", func(t *testing.T, s store.Store) {
		must(t, s.CreateInvite(t.Context(), store.Invite{Code: "code-1", Available: 5, CreatedBy: "admin", CreatedAt: t0}))
		must(t, s.DisableInvite(t.Context(), "code-1"))
		a, _ := newAccount(t, 1)
		a.InviteCode = "code-1"
		wantRefused(t, s, a, rhizome.Conflict)
		inv, err := s.Invite(t.Context(), "code-1")
		must(t, err)
		if inv.Available != 5 || len(inv.UsedBy) != 0 {
			t.Fatalf("invite after refused use: %+v", inv)
		}
	})
	h.test(t, "refused account leaves invite", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		must(t, s.CreateInvite(t.Context(), store.Invite{Code: "code-1", Available: 1, CreatedBy: "admin", CreatedAt: t0}))
		a, _ := newAccount(t, 2)
		a.Account.Handle, a.InviteCode = testHandle(1), "code-1"
		wantRefused(t, s, a, rhizome.Exists)
		inv, err := s.Invite(t.Context(), "code-1")
		must(t, err)
		if inv.Available != 1 || len(inv.UsedBy) != 0 {
			t.Fatalf("invite used by a refused account: %+v", inv)
		}
	})
}

func (h harness) accountLookups(t *testing.T) {
	h.test(t, "by DID, handle and email", func(t *testing.T, s store.Store) {
		a, _ := newAccount(t, 1)
		_, err := s.CreateAccount(t.Context(), a)
		must(t, err)
		createAccount(t, s, 2)
		got, err := s.AccountByHandle(t.Context(), testHandle(1))
		must(t, err)
		wantAccount(t, got, a.Account)
		got, err = s.AccountByEmail(t.Context(), "USER1@Example.Test")
		must(t, err)
		wantAccount(t, got, a.Account)
	})
	h.test(t, "unknown", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		_, err := s.Account(t.Context(), testDID(9))
		wantNotFound(t, err)
		_, err = s.AccountByHandle(t.Context(), testHandle(9))
		wantNotFound(t, err)
		_, err = s.AccountByEmail(t.Context(), testEmail(9))
		wantNotFound(t, err)
	})
}

func (h harness) updateAccount(t *testing.T) {
	h.test(t, "changes set fields only", func(t *testing.T, s store.Store) {
		a, _ := newAccount(t, 1)
		_, err := s.CreateAccount(t.Context(), a)
		must(t, err)
		handle, email, hash, status := syntax.Handle("renamed.example.test"), "New@Example.Test", "new hash", store.Deactivated
		must(t, s.UpdateAccount(t.Context(), a.Account.DID, store.AccountUpdate{Handle: &handle, Email: &email}))
		must(t, s.UpdateAccount(t.Context(), a.Account.DID, store.AccountUpdate{PasswordHash: &hash, Status: &status}))
		must(t, s.UpdateAccount(t.Context(), a.Account.DID, store.AccountUpdate{}))
		want := a.Account
		want.Handle, want.Email, want.PasswordHash, want.Status = handle, email, hash, status
		got, err := s.AccountByHandle(t.Context(), handle)
		must(t, err)
		wantAccount(t, got, want)
		got, err = s.AccountByEmail(t.Context(), "new@example.test")
		must(t, err)
		wantAccount(t, got, want)
		_, err = s.AccountByHandle(t.Context(), a.Account.Handle)
		wantNotFound(t, err)
		_, err = s.AccountByEmail(t.Context(), a.Account.Email)
		wantNotFound(t, err)
	})
	h.test(t, "handle taken", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		handle := testHandle(1)
		wantKind(t, s.UpdateAccount(t.Context(), testDID(2), store.AccountUpdate{Handle: &handle}), rhizome.Exists)
		got, err := s.Account(t.Context(), testDID(2))
		must(t, err)
		if got.Handle != testHandle(2) {
			t.Fatalf("handle changed to %s", got.Handle)
		}
	})
	h.test(t, "email taken in other case", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		email := strings.ToUpper(testEmail(1))
		wantKind(t, s.UpdateAccount(t.Context(), testDID(2), store.AccountUpdate{Email: &email}), rhizome.Exists)
	})
	h.test(t, "unknown", func(t *testing.T, s store.Store) {
		email := "x@example.test"
		wantNotFound(t, s.UpdateAccount(t.Context(), testDID(9), store.AccountUpdate{Email: &email}))
	})
}

func (h harness) listAccounts(t *testing.T) {
	h.test(t, "pages by DID", func(t *testing.T, s store.Store) {
		for _, n := range []int{3, 1, 5, 2, 4} {
			createAccount(t, s, n)
		}
		list := func(p store.Page) []syntax.DID {
			accts, err := s.ListAccounts(t.Context(), p)
			must(t, err)
			var out []syntax.DID
			for _, a := range accts {
				out = append(out, a.DID)
			}
			return out
		}
		d := testDID
		wantDIDs(t, list(store.Page{}), d(1), d(2), d(3), d(4), d(5))
		wantDIDs(t, list(store.Page{Limit: 2}), d(1), d(2))
		wantDIDs(t, list(store.Page{Limit: 2, Cursor: string(d(2))}), d(3), d(4))
		wantDIDs(t, list(store.Page{Limit: 2, Cursor: string(d(4))}), d(5))
		wantDIDs(t, list(store.Page{Limit: 2, Cursor: string(d(5))}))
		wantDIDs(t, list(store.Page{Limit: 2, Reverse: true}), d(5), d(4))
		wantDIDs(t, list(store.Page{Limit: 2, Reverse: true, Cursor: string(d(2))}), d(1))
	})
}

// wantDIDs compares DID lists.
func wantDIDs(t *testing.T, got []syntax.DID, want ...syntax.DID) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
