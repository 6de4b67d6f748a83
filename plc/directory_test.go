package plc

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// dirFixture is a directory over a memPLC with a fake clock and one
// account whose genesis operation has been submitted.
type dirFixture struct {
	*account
	store *memPLC
	clock *fakeClock
	dir   *Directory
	did   syntax.DID
	g     *Operation
}

func newDirFixture(t *testing.T) *dirFixture {
	t.Helper()
	f := &dirFixture{account: newAccount(t), store: newMemPLC(), clock: newClock()}
	f.dir = NewDirectory(f.store, f.clock.Now)
	f.g = f.genesis(t)
	f.did, _ = f.g.DID()
	f.submit(t, f.g)
	return f
}

func (f *dirFixture) submit(t *testing.T, op *Operation) {
	t.Helper()
	f.clock.Advance(time.Second)
	if err := f.dir.Submit(context.Background(), f.did, op); err != nil {
		t.Fatalf("submit: %v", err)
	}
}

func (f *dirFixture) refuse(t *testing.T, op *Operation, kind rhizome.Kind) {
	t.Helper()
	f.clock.Advance(time.Second)
	if err := f.dir.Submit(context.Background(), f.did, op); !rhizome.Is(err, kind) {
		t.Fatalf("submit: err %v, want %v", err, kind)
	}
}

// audit returns the stored audit log after checking that it verifies.
func (f *dirFixture) audit(t *testing.T) []LogEntry {
	t.Helper()
	entries, err := f.dir.AuditLog(context.Background(), f.did)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyLog(f.did, entries); err != nil {
		t.Fatalf("directory produced an invalid log: %v", err)
	}
	return entries
}

func nullifiedFlags(entries []LogEntry) []bool {
	var out []bool
	for _, e := range entries {
		out = append(out, e.Nullified)
	}
	return out
}

func TestDirectory_Submit(t *testing.T) {
	ctx := context.Background()
	f := newDirFixture(t)
	newSigning := newKey(t, keys.P256)
	u := update(t, f.g, f.host, func(op *Operation) {
		op.VerificationMethods[VerificationMethodAtproto] = newSigning.PublicKey().DIDKey()
		op.AlsoKnownAs = []string{"at://bob.test"}
	})
	f.submit(t, u)
	data, err := f.dir.Data(ctx, f.did)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := data.Handle(); h != "bob.test" {
		t.Errorf("handle %q", h)
	}
	if k, _ := data.SigningKey(); !k.Equal(newSigning.PublicKey()) {
		t.Error("signing key not rotated")
	}
	doc, err := f.dir.Resolve(ctx, f.did)
	if err != nil || doc.ID != f.did || doc.AlsoKnownAs[0] != "at://bob.test" {
		t.Fatalf("document %+v, %v", doc, err)
	}
	last, err := f.dir.LastOp(ctx, f.did)
	if err != nil || mustCID(t, last) != mustCID(t, u) {
		t.Fatalf("last op %v", err)
	}
	ops, err := f.dir.Log(ctx, f.did)
	if err != nil || len(ops) != 2 {
		t.Fatalf("log: %d ops, %v", len(ops), err)
	}
	entries := f.audit(t)
	if len(entries) != 2 || !entries[1].CreatedAt.After(entries[0].CreatedAt) {
		t.Fatalf("audit log %+v", entries)
	}
}

func TestDirectory_SubmitRefused(t *testing.T) {
	f := newDirFixture(t)
	stranger := newKey(t, keys.K256)
	cases := []struct {
		name string
		op   func(t *testing.T) *Operation
		kind rhizome.Kind
	}{
		{"signed by the signing key", func(t *testing.T) *Operation { return update(t, f.g, f.signing, nil) }, rhizome.Invalid},
		{"signed by a stranger", func(t *testing.T) *Operation { return update(t, f.g, stranger, nil) }, rhizome.Invalid},
		{"second genesis", func(t *testing.T) *Operation {
			op, _ := Genesis(f.rotation, f.rotation[0], "x.test", "https://pds.test")
			return signed(t, op, f.user)
		}, rhizome.Invalid},
		{"unknown prev", func(t *testing.T) *Operation {
			other := newAccount(t).genesis(t)
			return update(t, other, f.user, nil)
		}, rhizome.Invalid},
		{"duplicate", func(t *testing.T) *Operation { return f.g }, rhizome.Exists},
		{"legacy create", func(t *testing.T) *Operation { return loadLegacyCreate(t) }, rhizome.Invalid},
		{"unsigned", func(t *testing.T) *Operation { op, _ := Update(f.g, nil); return op }, rhizome.Invalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { f.refuse(t, tc.op(t), tc.kind) })
	}
	if n := len(f.audit(t)); n != 1 {
		t.Fatalf("log has %d entries after refusals, want 1", n)
	}
	t.Run("genesis under another DID", func(t *testing.T) {
		other := newAccount(t).genesis(t)
		if err := f.dir.Submit(context.Background(), "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", other); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err %v", err)
		}
		if err := f.dir.Submit(context.Background(), "did:web:example.com", other); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestDirectory_Fork(t *testing.T) {
	t.Run("higher priority key within the window", func(t *testing.T) {
		f := newDirFixture(t)
		hijack := update(t, f.g, f.host, func(op *Operation) { op.RotationKeys = f.rotation[1:] })
		f.submit(t, hijack)
		f.submit(t, update(t, hijack, f.host, nil))
		f.clock.Advance(RecoveryWindow - 2*time.Second) // exactly 72h after hijack on submit
		recovery := update(t, f.g, f.user, func(op *Operation) { op.AlsoKnownAs = []string{"at://recovered.test"} })
		f.submit(t, recovery)
		entries := f.audit(t)
		if d := entries[3].CreatedAt.Sub(entries[1].CreatedAt); d != RecoveryWindow {
			t.Fatalf("recovery came %v after the hijack, want exactly %v", d, RecoveryWindow)
		}
		got := nullifiedFlags(entries)
		if want := []bool{false, true, true, false}; !equalBools(got, want) {
			t.Fatalf("nullified %v, want %v", got, want)
		}
		data, _ := f.dir.Data(context.Background(), f.did)
		if h, _ := data.Handle(); h != "recovered.test" {
			t.Errorf("handle %q after recovery", h)
		}
		// The host key may not fork again over the user's recovery, nor may
		// the user fork over their own operation.
		f.refuse(t, update(t, f.g, f.host, nil), rhizome.Invalid)
		f.refuse(t, update(t, f.g, f.user, nil), rhizome.Invalid)
		// Updating the nullified branch is refused.
		f.refuse(t, update(t, hijack, f.host, nil), rhizome.Invalid)
	})
	t.Run("after the window", func(t *testing.T) {
		f := newDirFixture(t)
		f.submit(t, update(t, f.g, f.host, nil))
		f.clock.Advance(RecoveryWindow)
		f.refuse(t, update(t, f.g, f.user, nil), rhizome.Invalid)
		if got := nullifiedFlags(f.audit(t)); !equalBools(got, []bool{false, false}) {
			t.Fatalf("nullified %v", got)
		}
	})
	t.Run("same key", func(t *testing.T) {
		f := newDirFixture(t)
		f.submit(t, update(t, f.g, f.user, nil))
		f.refuse(t, update(t, f.g, f.user, func(op *Operation) { op.AlsoKnownAs = nil }), rhizome.Invalid)
		f.refuse(t, update(t, f.g, f.host, func(op *Operation) { op.AlsoKnownAs = nil }), rhizome.Invalid)
	})
}

func TestDirectory_Tombstone(t *testing.T) {
	ctx := context.Background()
	f := newDirFixture(t)
	ts, _ := Tombstone(f.g)
	ts = signed(t, ts, f.host)
	f.submit(t, ts)
	for name, err := range map[string]error{
		"resolve": second(f.dir.Resolve(ctx, f.did)),
		"data":    second(f.dir.Data(ctx, f.did)),
	} {
		if !rhizome.Is(err, rhizome.NotFound) || !errors.Is(err, ErrGone) {
			t.Errorf("%s: err %v, want gone", name, err)
		}
	}
	if last, err := f.dir.LastOp(ctx, f.did); err != nil || last.Type != TypeTombstone {
		t.Fatalf("last op %v", err)
	}
	next, _ := Update(f.g, nil)
	next.Prev = mustCID(t, ts)
	f.refuse(t, signed(t, next, f.host), rhizome.Invalid)
	// The user's key can still undo the host's tombstone within 72 hours.
	f.submit(t, update(t, f.g, f.user, nil))
	if _, err := f.dir.Resolve(ctx, f.did); err != nil {
		t.Fatalf("resolve after undoing the tombstone: %v", err)
	}
	if got := nullifiedFlags(f.audit(t)); !equalBools(got, []bool{false, true, false}) {
		t.Fatalf("nullified %v", got)
	}
}

func TestDirectory_Timestamps(t *testing.T) {
	f := newDirFixture(t)
	op := f.g
	for range 3 { // the clock does not move between these submits
		op = update(t, op, f.user, nil)
		if err := f.dir.Submit(context.Background(), f.did, op); err != nil {
			t.Fatal(err)
		}
	}
	entries := f.audit(t)
	for i := 1; i < len(entries); i++ {
		if !entries[i].CreatedAt.After(entries[i-1].CreatedAt) {
			t.Fatalf("entry %d at %v, not after %v", i, entries[i].CreatedAt, entries[i-1].CreatedAt)
		}
	}
}

func TestDirectory_ConflictRetry(t *testing.T) {
	f := newDirFixture(t)
	// Another process appends the host's update between our read and our
	// append; the retry sees it and our user-signed op becomes a fork.
	theirs := update(t, f.g, f.host, nil)
	f.store.beforeAppend = func() {
		f.store.beforeAppend = nil
		b, _ := theirs.Bytes()
		err := f.store.AppendPLC(context.Background(), store.PLCAppend{
			Entry: store.PLCEntry{DID: f.did, CID: mustCID(t, theirs), Op: b, CreatedAt: f.clock.Now().Add(-time.Millisecond)},
			Last:  mustCID(t, f.g),
		})
		if err != nil {
			t.Error(err)
		}
	}
	f.submit(t, update(t, f.g, f.user, nil))
	if got := nullifiedFlags(f.audit(t)); !equalBools(got, []bool{false, true, false}) {
		t.Fatalf("nullified %v", got)
	}
	t.Run("gives up after one retry", func(t *testing.T) {
		cs := &conflictStore{PLC: f.store}
		d := NewDirectory(cs, f.clock.Now)
		last, _ := f.dir.LastOp(context.Background(), f.did)
		err := d.Submit(context.Background(), f.did, update(t, last, f.user, nil))
		if !rhizome.Is(err, rhizome.Conflict) || cs.calls != 2 {
			t.Fatalf("err %v after %d appends, want conflict after 2", err, cs.calls)
		}
	})
}

type conflictStore struct {
	store.PLC
	calls int
}

func (c *conflictStore) AppendPLC(context.Context, store.PLCAppend) error {
	c.calls++
	return rhizome.E("append plc", rhizome.Conflict, "always")
}

func TestDirectory_ConcurrentSubmits(t *testing.T) {
	f := newDirFixture(t)
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		op := update(t, f.g, f.user, func(op *Operation) { op.AlsoKnownAs = []string{"at://" + string(rune('a'+i)) + ".test"} })
		wg.Go(func() { errs <- f.dir.Submit(context.Background(), f.did, op) })
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		} else if !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 || len(f.audit(t)) != 2 {
		t.Fatalf("%d submits succeeded, want 1", ok)
	}
}

func TestDirectory_Export(t *testing.T) {
	ctx := context.Background()
	f := newDirFixture(t)
	f.submit(t, update(t, f.g, f.user, nil))
	other := newAccount(t).genesis(t)
	otherDID, _ := other.DID()
	if err := f.dir.Submit(ctx, otherDID, other); err != nil {
		t.Fatal(err)
	}
	page, err := f.dir.Export(ctx, 0, 2)
	if err != nil || len(page) != 2 || page[0].Seq != 1 || page[1].Seq != 2 || page[0].DID != f.did {
		t.Fatalf("first page %+v, %v", page, err)
	}
	rest, err := f.dir.Export(ctx, page[1].Seq, 0)
	if err != nil || len(rest) != 1 || rest[0].DID != otherDID || rest[0].CID != mustCID(t, other) {
		t.Fatalf("second page %+v, %v", rest, err)
	}
}

func TestDirectory_Unknown(t *testing.T) {
	d := NewDirectory(newMemPLC(), nil)
	did := syntax.DID("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
	if _, err := d.Resolve(context.Background(), did); !rhizome.Is(err, rhizome.NotFound) || errors.Is(err, ErrGone) {
		t.Fatalf("err %v, want not found (not gone)", err)
	}
	if _, err := d.AuditLog(context.Background(), did); !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("err %v", err)
	}
}

func TestDirectory_CorruptStore(t *testing.T) {
	f := newDirFixture(t)
	f.store.logs[f.did][0].Op = []byte{0xa0}
	if _, err := f.dir.Data(context.Background(), f.did); !rhizome.Is(err, rhizome.Corrupt) {
		t.Fatalf("err %v, want corrupt", err)
	}
	if err := f.dir.Submit(context.Background(), f.did, update(t, f.g, f.user, nil)); !rhizome.Is(err, rhizome.Corrupt) {
		t.Fatalf("submit over a corrupt log: err %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type downStore struct{ store.PLC }

func (downStore) PLCLog(context.Context, syntax.DID) ([]store.PLCEntry, error) {
	return nil, rhizome.E("plc log", rhizome.Unavailable, "database down")
}

func TestDirectory_StoreDown(t *testing.T) {
	f := newDirFixture(t)
	d := NewDirectory(downStore{f.store}, f.clock.Now)
	if err := d.Submit(context.Background(), f.did, update(t, f.g, f.user, nil)); !rhizome.Is(err, rhizome.Unavailable) {
		t.Fatalf("submit: err %v, want unavailable", err)
	}
	srv := httptest.NewServer(d.Handler())
	defer srv.Close()
	_, err := (&Client{BaseURL: srv.URL, HTTP: srv.Client()}).Resolve(context.Background(), f.did)
	if !rhizome.Is(err, rhizome.Unavailable) {
		t.Fatalf("resolve: err %v, want unavailable", err)
	}
}
