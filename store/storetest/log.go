package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

func (h harness) invites(t *testing.T) {
	t.Run("CreateInvite", h.createInvite)
	t.Run("Invite", h.invite)
	t.Run("ListInvites", h.listInvites)
	t.Run("DisableInvite", h.disableInvite)
}

func (h harness) createInvite(t *testing.T) {
	h.test(t, "round trip", func(t *testing.T, s store.Store) {
		inv := store.Invite{Code: "abc-123", Available: 3, CreatedBy: "admin", CreatedAt: t0,
			UsedBy: []syntax.DID{testDID(7)}}
		must(t, s.CreateInvite(t.Context(), inv))
		got, err := s.Invite(t.Context(), inv.Code)
		must(t, err)
		if got.Code != inv.Code || got.Available != 3 || got.Disabled || got.CreatedBy != "admin" ||
			!got.CreatedAt.Equal(t0) || !slices.Equal(got.UsedBy, inv.UsedBy) {
			t.Fatalf("got %+v, want %+v", got, inv)
		}
	})
	h.test(t, "duplicate", func(t *testing.T, s store.Store) {
		inv := store.Invite{Code: "abc-123", Available: 1, CreatedBy: "admin", CreatedAt: t0}
		must(t, s.CreateInvite(t.Context(), inv))
		inv.Available = 9
		wantKind(t, s.CreateInvite(t.Context(), inv), rhizome.Exists)
		got, err := s.Invite(t.Context(), inv.Code)
		must(t, err)
		if got.Available != 1 {
			t.Fatalf("duplicate changed the invite: %+v", got)
		}
	})
}

func (h harness) invite(t *testing.T) {
	h.test(t, "unknown", func(t *testing.T, s store.Store) {
		_, err := s.Invite(t.Context(), "nope")
		wantNotFound(t, err)
	})
}

func (h harness) listInvites(t *testing.T) {
	h.test(t, "pages by code", func(t *testing.T, s store.Store) {
		for _, c := range []string{"c", "a", "e", "b", "d"} {
			must(t, s.CreateInvite(t.Context(), store.Invite{Code: c, Available: 1, CreatedBy: string(testDID(1)), CreatedAt: t0}))
		}
		list := func(p store.Page) []string {
			invs, err := s.ListInvites(t.Context(), p)
			must(t, err)
			var out []string
			for _, inv := range invs {
				out = append(out, inv.Code)
			}
			return out
		}
		wantStrings(t, list(store.Page{}), "a", "b", "c", "d", "e")
		wantStrings(t, list(store.Page{Limit: 2, Cursor: "b"}), "c", "d")
		wantStrings(t, list(store.Page{Limit: 2, Reverse: true, Cursor: "b"}), "a")
	})
}

func (h harness) disableInvite(t *testing.T) {
	h.test(t, "disables and keeps uses", func(t *testing.T, s store.Store) {
		must(t, s.CreateInvite(t.Context(), store.Invite{Code: "x", Available: 1, CreatedBy: "admin", CreatedAt: t0}))
		must(t, s.DisableInvite(t.Context(), "x"))
		got, err := s.Invite(t.Context(), "x")
		must(t, err)
		if !got.Disabled || got.Available != 1 {
			t.Fatalf("disabled invite %+v", got)
		}
		wantNotFound(t, s.DisableInvite(t.Context(), "nope"))
	})
}

// wantGapFree checks that seqs, in any order, are consecutive.
func wantGapFree(t *testing.T, seqs []int64) {
	t.Helper()
	got := slices.Clone(seqs)
	slices.Sort(got)
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("sequence numbers %v are not consecutive", got)
		}
	}
}

// appendEvents appends n events of did at t0+age and returns their seqs.
func appendEvents(t *testing.T, s store.Store, did syntax.DID, n int, age time.Duration) []int64 {
	t.Helper()
	var seqs []int64
	for i := range n {
		seq, err := s.AppendEvent(t.Context(), store.Event{Seq: 999, DID: did, Type: "identity",
			Time: t0.Add(age), Body: []byte(fmt.Sprint("body ", i))})
		must(t, err)
		seqs = append(seqs, seq)
	}
	return seqs
}

func (h harness) events(t *testing.T) {
	t.Run("AppendEvent", h.appendEvent)
	t.Run("EventsAfter", h.eventsAfter)
	t.Run("TrimEvents", h.trimEvents)
	t.Run("WithAccountChanges", h.accountEvents)
}

// eventTypes lists the types of every event in the log, in order.
func eventTypes(t *testing.T, s store.Store) []string {
	t.Helper()
	evs, err := s.EventsAfter(t.Context(), 0, 1000)
	must(t, err)
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func lifecycle(did syntax.DID, typ string) store.Event {
	return store.Event{DID: did, Type: typ, Time: t0, Body: []byte(typ)}
}

func (h harness) accountEvents(t *testing.T) {
	h.test(t, "creation appends its events before the genesis commit's", func(t *testing.T, s store.Store) {
		a, _ := newAccount(t, 1)
		a.Events = []store.Event{lifecycle(a.Account.DID, "identity"), lifecycle(a.Account.DID, "account")}
		a.Genesis = withEvent(a.Genesis)
		seq, err := s.CreateAccount(t.Context(), a)
		must(t, err)
		if got := eventTypes(t, s); !slices.Equal(got, []string{"identity", "account", "commit"}) {
			t.Fatalf("events %v", got)
		}
		if last, _ := s.LastSeq(t.Context()); seq != last {
			t.Fatalf("CreateAccount returned seq %d, last is %d", seq, last)
		}
	})
	h.test(t, "a failed creation appends nothing", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		a, _ := newAccount(t, 1)
		a.Events = []store.Event{lifecycle(a.Account.DID, "identity")}
		_, err := s.CreateAccount(t.Context(), a)
		wantKind(t, err, rhizome.Exists)
		if got := eventTypes(t, s); len(got) != 0 {
			t.Fatalf("events %v", got)
		}
	})
	h.test(t, "an update appends its event only when it applies", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		st := store.Deactivated
		must(t, s.UpdateAccount(t.Context(), r.did, store.AccountUpdate{Status: &st, Events: []store.Event{lifecycle(r.did, "account")}}))
		err := s.UpdateAccount(t.Context(), testDID(9), store.AccountUpdate{Status: &st, Events: []store.Event{lifecycle(testDID(9), "account")}})
		wantNotFound(t, err)
		other := createAccount(t, s, 2)
		taken := testHandle(1)
		err = s.UpdateAccount(t.Context(), other.did, store.AccountUpdate{Handle: &taken, Events: []store.Event{lifecycle(other.did, "identity")}})
		wantKind(t, err, rhizome.Exists)
		if got := eventTypes(t, s); !slices.Equal(got, []string{"account"}) {
			t.Fatalf("events %v", got)
		}
	})
	h.test(t, "deletion replaces the account's events by its own", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		other := createAccount(t, s, 2)
		appendEvents(t, s, r.did, 2, 0)
		kept := appendEvents(t, s, other.did, 1, 0)
		must(t, s.DeleteAccount(t.Context(), r.did, lifecycle(r.did, "account")))
		wantNotFound(t, s.DeleteAccount(t.Context(), r.did, lifecycle(r.did, "account")))
		evs, err := s.EventsAfter(t.Context(), 0, 1000)
		must(t, err)
		if len(evs) != 2 || evs[0].Seq != kept[0] || evs[0].DID != other.did || evs[1].DID != r.did || evs[1].Type != "account" || evs[1].Seq <= kept[0] {
			t.Fatalf("after deletion the log holds %+v; want the other account's event, then the deletion", evs)
		}
	})
	h.test(t, "events of another DID are refused", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		st := store.Deactivated
		err := s.UpdateAccount(t.Context(), r.did, store.AccountUpdate{Status: &st, Events: []store.Event{lifecycle(testDID(5), "account")}})
		wantKind(t, err, rhizome.Invalid)
		if a, _ := s.Account(t.Context(), r.did); a.Status != store.Active {
			t.Fatalf("a refused update changed the status to %s", a.Status)
		}
	})
}

func (h harness) appendEvent(t *testing.T) {
	h.test(t, "increasing without gaps", func(t *testing.T, s store.Store) {
		last, err := s.LastSeq(t.Context())
		must(t, err)
		if last != 0 {
			t.Fatalf("empty log has last seq %d", last)
		}
		seqs := appendEvents(t, s, testDID(1), 5, 0)
		if seqs[0] <= 0 || !slices.IsSorted(seqs) {
			t.Fatalf("seqs %v", seqs)
		}
		wantGapFree(t, seqs)
		last, err = s.LastSeq(t.Context())
		must(t, err)
		if last != seqs[4] {
			t.Fatalf("last seq %d, want %d", last, seqs[4])
		}
	})
	h.test(t, "concurrent", func(t *testing.T, s store.Store) {
		const n = 40
		seqs := make([]int64, n)
		errs := race(n, func(i int) (err error) {
			seqs[i], err = s.AppendEvent(t.Context(), store.Event{DID: testDID(i), Type: "account", Time: t0, Body: []byte{1}})
			return err
		})
		for _, err := range errs {
			must(t, err)
		}
		wantGapFree(t, seqs)
		evs, err := s.EventsAfter(t.Context(), 0, 1000)
		must(t, err)
		if len(evs) != n {
			t.Fatalf("%d events, want %d", len(evs), n)
		}
	})
	h.test(t, "failed commit takes no seq", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		s1 := appendEvents(t, s, r.did, 1, 0)[0]
		stale := *r
		stale.head.Commit = testStaleHead(t, r)
		_, err := s.ApplyCommit(t.Context(), withEvent(stale.commit(t)))
		wantKind(t, err, rhizome.Conflict)
		if s2 := r.apply(t, s, withEvent(r.commit(t))); s2 != s1+1 {
			t.Fatalf("seq after a failed commit %d, want %d", s2, s1+1)
		}
	})
}

func (h harness) eventsAfter(t *testing.T) {
	h.test(t, "in order from a seq", func(t *testing.T, s store.Store) {
		seqs := appendEvents(t, s, testDID(1), 6, 0)
		evs, err := s.EventsAfter(t.Context(), seqs[1], 3)
		must(t, err)
		if len(evs) != 3 {
			t.Fatalf("%d events, want 3", len(evs))
		}
		for i, e := range evs {
			if e.Seq != seqs[2+i] || e.DID != testDID(1) || e.Type != "identity" || !e.Time.Equal(t0) ||
				!bytes.Equal(e.Body, []byte(fmt.Sprint("body ", 2+i))) {
				t.Fatalf("event %d: %+v", i, e)
			}
		}
		evs, err = s.EventsAfter(t.Context(), seqs[5], 10)
		wantEmpty(t, "events after the last", evs, err)
	})
}

func (h harness) trimEvents(t *testing.T) {
	h.test(t, "drops old events, seqs go on", func(t *testing.T, s store.Store) {
		old := appendEvents(t, s, testDID(1), 3, 0)
		recent := appendEvents(t, s, testDID(1), 2, time.Hour)
		n, err := s.TrimEvents(t.Context(), t0.Add(time.Minute))
		must(t, err)
		evs, err := s.EventsAfter(t.Context(), 0, 10)
		must(t, err)
		if n != len(old) || len(evs) != 2 || evs[0].Seq != recent[0] {
			t.Fatalf("trimmed %d, left %+v", n, evs)
		}
		_, err = s.TrimEvents(t.Context(), t0.Add(2*time.Hour))
		must(t, err)
		next := appendEvents(t, s, testDID(1), 1, 0)[0]
		if next <= recent[1] {
			t.Fatalf("seq %d after trimming everything, want more than %d", next, recent[1])
		}
	})
}
