package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
)

func (h harness) tokens(t *testing.T) {
	t.Run("TakeOnce", h.tokenTakeOnce)
	t.Run("Replace", h.tokenReplace)
	t.Run("Refused", h.tokenRefused)
	t.Run("Deleted", h.tokenDeleted)
	t.Run("Concurrent", h.tokenConcurrent)
}

const plcPurpose = "plc_operation"

func acctToken(n int, hash string, exp time.Time) store.AccountToken {
	return store.AccountToken{DID: testDID(n), Purpose: plcPurpose, Hash: hash, ExpiresAt: exp}
}

func wantAccountToken(t *testing.T, got store.AccountToken, err error, want store.AccountToken) {
	t.Helper()
	must(t, err)
	if got.DID != want.DID || got.Purpose != want.Purpose || got.Hash != want.Hash || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("took %+v, want %+v", got, want)
	}
}

func (h harness) tokenTakeOnce(t *testing.T) {
	h.test(t, "the right hash takes it once", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		ctx := t.Context()
		tok := acctToken(1, "h1", store.Now().Add(15*time.Minute))
		must(t, s.PutAccountToken(ctx, tok))
		_, err := s.TakeAccountToken(ctx, testDID(1), plcPurpose, "wrong")
		wantNotFound(t, err)
		_, err = s.TakeAccountToken(ctx, testDID(1), "other_purpose", "h1")
		wantNotFound(t, err)
		got, err := s.TakeAccountToken(ctx, testDID(1), plcPurpose, "h1")
		wantAccountToken(t, got, err, tok)
		_, err = s.TakeAccountToken(ctx, testDID(1), plcPurpose, "h1")
		wantNotFound(t, err)
	})
	h.test(t, "an expired token is taken and returned", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		ctx := t.Context()
		tok := acctToken(1, "h1", store.Now().Add(-time.Minute))
		must(t, s.PutAccountToken(ctx, tok))
		got, err := s.TakeAccountToken(ctx, testDID(1), plcPurpose, "h1")
		wantAccountToken(t, got, err, tok)
		_, err = s.TakeAccountToken(ctx, testDID(1), plcPurpose, "h1")
		wantNotFound(t, err)
	})
}

func (h harness) tokenReplace(t *testing.T) {
	h.test(t, "one per account and purpose", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		ctx, exp := t.Context(), store.Now().Add(time.Hour)
		must(t, s.PutAccountToken(ctx, acctToken(1, "old", exp)))
		must(t, s.PutAccountToken(ctx, acctToken(2, "two", exp)))
		other := store.AccountToken{DID: testDID(1), Purpose: "other_purpose", Hash: "o", ExpiresAt: exp}
		must(t, s.PutAccountToken(ctx, other))
		newer := acctToken(1, "new", exp.Add(time.Minute))
		must(t, s.PutAccountToken(ctx, newer))
		_, err := s.TakeAccountToken(ctx, testDID(1), plcPurpose, "old")
		wantNotFound(t, err)
		_, err = s.TakeAccountToken(ctx, testDID(1), plcPurpose, "two")
		wantNotFound(t, err)
		got, err := s.TakeAccountToken(ctx, testDID(1), plcPurpose, "new")
		wantAccountToken(t, got, err, newer)
		got, err = s.TakeAccountToken(ctx, testDID(1), "other_purpose", "o")
		wantAccountToken(t, got, err, other)
		got, err = s.TakeAccountToken(ctx, testDID(2), plcPurpose, "two")
		wantAccountToken(t, got, err, acctToken(2, "two", exp))
	})
}

func (h harness) tokenRefused(t *testing.T) {
	h.test(t, "unknown account, no purpose or hash", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		ctx, exp := t.Context(), store.Now().Add(time.Hour)
		wantNotFound(t, s.PutAccountToken(ctx, acctToken(2, "h", exp)))
		_, err := s.TakeAccountToken(ctx, testDID(2), plcPurpose, "h")
		wantNotFound(t, err)
		wantKind(t, s.PutAccountToken(ctx, acctToken(1, "", exp)), rhizome.Invalid)
		wantKind(t, s.PutAccountToken(ctx, store.AccountToken{DID: testDID(1), Hash: "h", ExpiresAt: exp}), rhizome.Invalid)
		_, err = s.TakeAccountToken(ctx, testDID(1), plcPurpose, "")
		wantNotFound(t, err)
	})
}

func (h harness) tokenDeleted(t *testing.T) {
	h.test(t, "go with the account", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		ctx, exp := t.Context(), store.Now().Add(time.Hour)
		must(t, s.PutAccountToken(ctx, acctToken(1, "h1", exp)))
		must(t, s.PutAccountToken(ctx, acctToken(2, "h2", exp)))
		must(t, s.DeleteAccount(ctx, testDID(2)))
		a, _ := newAccount(t, 2)
		_, err := s.CreateAccount(ctx, a)
		must(t, err)
		_, err = s.TakeAccountToken(ctx, testDID(2), plcPurpose, "h2")
		wantNotFound(t, err)
		got, err := s.TakeAccountToken(ctx, testDID(1), plcPurpose, "h1")
		wantAccountToken(t, got, err, acctToken(1, "h1", exp))
	})
}

// tokenConcurrent races takers of one token: exactly one gets it.
func (h harness) tokenConcurrent(t *testing.T) {
	h.test(t, "one taker wins", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		ctx := t.Context()
		must(t, s.PutAccountToken(ctx, acctToken(1, "h", store.Now().Add(time.Hour))))
		const takers = 8
		var wg sync.WaitGroup
		errs := make(chan error, takers)
		for range takers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.TakeAccountToken(ctx, testDID(1), plcPurpose, "h")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		won := 0
		for err := range errs {
			switch {
			case err == nil:
				won++
			case !rhizome.Is(err, rhizome.NotFound):
				t.Fatal(err)
			}
		}
		if won != 1 {
			t.Fatalf("%d takers got the token, want 1", won)
		}
	})
}
