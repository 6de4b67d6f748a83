package plc

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
)

func TestMirror_Resume(t *testing.T) {
	s := loadFixtureSet(t)
	ctx := context.Background()
	for _, mode := range []CursorMode{CursorSeq, CursorCreatedAt} {
		t.Run(string(mode), func(t *testing.T) {
			up := newFakeUpstream(t, s.export, mode == CursorSeq)
			up.set(func(f *fakeUpstream) { f.limit = 20 }) // the upstream has only its first 20 lines yet
			st, state := newMemPLC(), NewMirrorStateFile(filepath.Join(t.TempDir(), "m.json"))
			tune := func(c *MirrorConfig) { c.PageSize = 6 }
			first := newMirrorFixture(t, up.srv.URL, st, state, tune)
			if err := first.m.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			cursor, stored := first.m.Status().Cursor, st.appends
			if cursor == "" || stored == 0 || stored >= s.wantAccepted {
				t.Fatalf("after the first 20 lines: cursor %q, %d stored", cursor, stored)
			}

			// Restart: a new mirror over the same store and state file.
			up.set(func(f *fakeUpstream) { f.limit = 0 })
			again := newMirrorFixture(t, up.srv.URL, st, state, tune)
			if got := again.m.Status().Cursor; got != cursor {
				t.Fatalf("restarted at cursor %q, want %q", got, cursor)
			}
			if err := again.m.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			s.check(t, again)
			if c := again.m.Status().Counts; c.Accepted != int64(s.wantAccepted) || c.Duplicates != 0 {
				t.Errorf("counts after resume %+v, want %d accepted and no duplicates", c, s.wantAccepted)
			}
			reqs, _ := up.log()
			t.Logf("resumed from cursor %s; %d requests in all", cursor, len(reqs))
		})
	}
}

// flakyState fails to save after ok successful saves: a crash between
// storing a page's operations and saving the cursor past them.
type flakyState struct {
	MirrorStateStore
	ok int
}

func (f *flakyState) Save(st *MirrorState) error {
	if f.ok == 0 {
		return errors.New("disk full")
	}
	f.ok--
	return f.MirrorStateStore.Save(st)
}

func TestMirror_ResumeAfterCrash(t *testing.T) {
	s := loadFixtureSet(t)
	ctx := context.Background()
	for _, mode := range []CursorMode{CursorSeq, CursorCreatedAt} {
		t.Run(string(mode), func(t *testing.T) {
			up := newFakeUpstream(t, s.export, mode == CursorSeq)
			st, state := newMemPLC(), NewMirrorStateFile(filepath.Join(t.TempDir(), "m.json"))
			tune := func(c *MirrorConfig) { c.PageSize = 5 }
			crashing := newMirrorFixture(t, up.srv.URL, st, &flakyState{MirrorStateStore: state, ok: 4}, tune)
			if err := crashing.m.Sync(ctx); err == nil || !strings.Contains(err.Error(), "disk full") {
				t.Fatalf("sync with a failing state store: %v", err)
			}
			lost := crashing.m.Status().Counts.Accepted
			saved, err := state.Load()
			if err != nil || saved == nil {
				t.Fatalf("saved state: %v", err)
			}
			lost -= saved.Counts.Accepted
			if lost == 0 {
				t.Fatal("the failed save lost no stored operation; the test proves nothing")
			}
			again := newMirrorFixture(t, up.srv.URL, st, state, tune)
			if err := again.m.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			s.check(t, again)
			c := again.m.Status().Counts
			if c.Accepted+c.Duplicates != int64(s.wantAccepted) || c.Duplicates != lost {
				t.Errorf("counts %+v: want the %d operations stored before the crash seen as duplicates", c, lost)
			}
		})
	}
}

func TestMirror_UpstreamTrouble(t *testing.T) {
	s := loadFixtureSet(t)
	ctx := context.Background()
	lines := mergeExport(s.valid)
	a := newAccount(t)
	g := a.genesis(t)
	forged := opLine(t, didOf(t, g), g, testEpoch)
	forged.CID = mustCID(t, update(t, g, a.user, nil)).String() // a CID the operation does not hash to
	junk := []upLine{
		{raw: "this is not JSON"},
		{raw: `{"type":"sequenced_op","seq":"seven"}`},
		{raw: `{"type":"sequenced_op","seq":%SEQ%,"did":"did:web:example.com","createdAt":"2024-01-01T00:00:00Z"}`},
		{raw: `{"type":"sequenced_op","seq":%SEQ%,"pad":"` + strings.Repeat("x", maxExportLine) + `"}`},
		{raw: `{"type":"identity_event","seq":%SEQ%}`},
		forged,
	}
	for i, j := range junk { // spread the junk through the export
		at := min(len(lines), 3+i*5)
		lines = append(lines[:at], append([]upLine{j}, lines[at:]...)...)
	}
	up := newFakeUpstream(t, lines, true)
	up.set(func(f *fakeUpstream) {
		f.faults = []http.Handler{
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, `{"message":"database on fire"}`, http.StatusInternalServerError)
			}),
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { // hangs past the timeout
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			}),
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { // a page beyond the size bound
				w.Write([]byte(strings.Repeat(" ", 256<<10+1)))
			}),
		}
	})
	f := newMirrorFixture(t, up.srv.URL, newMemPLC(), NewMirrorStateFile(filepath.Join(t.TempDir(), "m.json")),
		func(c *MirrorConfig) { c.PageSize = 7; c.Timeout = 300 * time.Millisecond; c.MaxPage = 256 << 10 })
	for i, want := range []string{"database on fire", "Timeout", "exceeds"} {
		err := f.m.Sync(ctx)
		st := f.m.Status()
		if err == nil || !strings.Contains(err.Error(), want) || st.ErrorsInARow != i+1 || !strings.Contains(st.LastError, want) {
			t.Fatalf("fault %d: err %v, status %+v", i, err, st)
		}
	}
	if err := f.m.Sync(ctx); err != nil {
		t.Fatalf("sync after the faults: %v", err)
	}
	for _, l := range s.valid {
		sameReads(t, f.srv, s.ref, l.did)
	}
	st := f.m.Status()
	c := st.Counts
	if c.Malformed != 4 || c.Ignored != 1 || c.Rejected != 1 || c.Accepted != int64(len(mergeExport(s.valid))) {
		t.Errorf("counts %+v, want 4 malformed, 1 ignored, 1 rejected", c)
	}
	if st.FailedPolls != 3 || st.ErrorsInARow != 0 {
		t.Errorf("status %+v, want 3 failed polls, none in a row", st)
	}
	rs := f.m.Rejections(didOf(t, g))
	if len(rs) != 1 || !strings.Contains(rs[0].Reason, "hashes to") {
		t.Errorf("forged CID: reports %+v", rs)
	}
	for _, r := range f.m.Rejections("") {
		if r.Malformed && (r.Line == "" || r.Reason == "") {
			t.Errorf("malformed line reported without the line or a reason: %+v", r)
		}
	}
}

func TestMirror_Run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := newAccount(t)
	g := a.genesis(t)
	did := didOf(t, g)
	up := newFakeUpstream(t, []upLine{opLine(t, did, g, testEpoch)}, true)
	fail := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	up.set(func(f *fakeUpstream) { f.faults = []http.Handler{fail, fail, fail} })
	f := newMirrorFixture(t, up.srv.URL, newMemPLC(), NewMirrorStateFile(filepath.Join(t.TempDir(), "m.json")), nil)
	done := make(chan error, 1)
	go func() { done <- f.m.Run(ctx) }()
	waitFor(t, "the genesis operation", func() bool { return f.m.Status().Counts.Accepted == 1 })
	if n := len(f.logs.find(slog.LevelWarn, "poll failed")); n != 3 {
		t.Errorf("%d failed polls logged, want 3", n)
	}
	// New operations upstream are picked up on a later poll.
	u := update(t, g, a.user, nil)
	up.set(func(f *fakeUpstream) { f.lines = append(f.lines, opLine(t, did, u, testEpoch.Add(time.Second))) })
	waitFor(t, "the update", func() bool { return f.m.Status().Counts.Accepted == 2 })
	if _, body, _ := get(t, f.srv, "/"+string(did)+"/log/last"); !strings.Contains(body, mustCID(t, g).String()) {
		t.Errorf("last op %s does not follow the genesis", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestMirror_ReadOnly(t *testing.T) {
	up := newFakeUpstream(t, nil, true)
	f := newMirrorFixture(t, up.srv.URL, newMemPLC(), NewMirrorStateFile(filepath.Join(t.TempDir(), "m.json")), nil)
	if err := f.m.Sync(context.Background()); err != nil || f.m.Status().Mode != "" {
		t.Fatalf("empty upstream: %v, mode %q", err, f.m.Status().Mode)
	}
	a := newAccount(t)
	g := a.genesis(t)
	did := didOf(t, g)
	client := &Client{BaseURL: f.srv.URL, HTTP: f.srv.Client()}
	err := client.Submit(context.Background(), did, g)
	if !rhizome.Is(err, rhizome.Invalid) || !strings.Contains(err.Error(), "read-only mirror") ||
		!strings.Contains(err.Error(), up.srv.URL+"/"+string(did)) {
		t.Fatalf("submit to a mirror: %v", err)
	}
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPost} {
		req := httptest.NewRequest(method, "/export", nil)
		w := httptest.NewRecorder()
		f.m.Handler().ServeHTTP(w, req)
		var body errorBody
		if w.Code != http.StatusMethodNotAllowed || json.Unmarshal(w.Body.Bytes(), &body) != nil ||
			!strings.Contains(body.Message, up.srv.URL) || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /export: %d %s", method, w.Code, w.Body)
		}
	}
	if f.store.appends != 0 {
		t.Errorf("a refused write stored %d operations", f.store.appends)
	}
	if _, methods := up.log(); strings.Contains(strings.Join(methods, " "), "POST") {
		t.Errorf("the mirror forwarded a write upstream: %v", methods)
	}
}

func TestMirror_FollowsOwnDirectory(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	upstream := NewDirectory(newMemPLC(), clock.Now)
	srv := httptest.NewServer(upstream.Handler())
	defer srv.Close()
	submit := func(did string, op *Operation) {
		t.Helper()
		clock.Advance(time.Minute)
		if err := upstream.Submit(ctx, syntaxDID(did), op); err != nil {
			t.Fatal(err)
		}
	}
	var dids []string
	var accounts []*account
	for range 3 {
		a := newAccount(t)
		accounts = append(accounts, a)
		g := a.genesis(t)
		did := string(didOf(t, g))
		dids = append(dids, did)
		submit(did, g)
		hijack := update(t, g, a.host, func(op *Operation) { op.AlsoKnownAs = []string{"at://host.test"} })
		submit(did, hijack)
		submit(did, update(t, g, a.user, nil)) // the user's key nullifies the host's update
	}
	f := newMirrorFixture(t, srv.URL, newMemPLC(), NewMirrorStateFile(filepath.Join(t.TempDir(), "m.json")),
		func(c *MirrorConfig) { c.PageSize = 2 })
	if err := f.m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, did := range dids {
		sameReads(t, f.srv, srv, syntaxDID(did))
	}
	st := f.m.Status()
	if st.Mode != CursorSeq || st.Cursor != "9" || st.Counts.Accepted != 9 || len(f.m.Rejections("")) != 0 {
		t.Fatalf("status %+v", st)
	}
	// A tombstone upstream reaches the mirror on the next sync.
	last, _ := upstream.LastOp(ctx, syntaxDID(dids[0]))
	ts, _ := Tombstone(last)
	submit(dids[0], signed(t, ts, accounts[0].user))
	if err := f.m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := get(t, f.srv, "/"+dids[0]); code != http.StatusGone {
		t.Errorf("tombstoned DID on the mirror: %d", code)
	}
	sameReads(t, f.srv, srv, syntaxDID(dids[0]))
}
