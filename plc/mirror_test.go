package plc

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/syntax"
)

// fixtureSet is every audit-log fixture and the export of an upstream
// that accepted all of them, the invalid ones included.
type fixtureSet struct {
	valid, invalid []fixtureLog
	export         []upLine
	ref            *httptest.Server // our directory holding the valid logs
	wantAccepted   int              // operations a verifying mirror stores
}

func loadFixtureSet(t *testing.T) *fixtureSet {
	t.Helper()
	s := &fixtureSet{valid: loadFixtureLogs(t, "valid"), invalid: loadFixtureLogs(t, "invalid")}
	s.export = mergeExport(append(slices.Clone(s.valid), s.invalid...))
	s.ref = refDirectory(t, s.valid)
	for _, l := range s.valid {
		s.wantAccepted += len(l.lines)
	}
	// Each invalid fixture is a valid history followed by one operation
	// the rules reject: its last (TestVerifyLog_InvalidFixtures shows the
	// logs are refused; this test shows which operation).
	for _, l := range s.invalid {
		s.wantAccepted += len(l.lines) - 1
	}
	return s
}

// check asserts the mirror accepted exactly the valid fixtures and
// flagged exactly the last operation of each invalid one.
func (s *fixtureSet) check(t *testing.T, f *mirrorFixture) {
	t.Helper()
	for _, l := range s.valid {
		sameReads(t, f.srv, s.ref, l.did)
	}
	for _, l := range s.invalid {
		s.checkInvalid(t, f, l)
	}
	var flagged []string
	for _, r := range f.m.Rejections("") {
		flagged = append(flagged, string(r.DID))
	}
	var want []string
	for _, l := range s.invalid {
		want = append(want, string(l.did))
	}
	slices.Sort(flagged)
	slices.Sort(want)
	if !slices.Equal(flagged, want) {
		t.Errorf("flagged DIDs %v\nwant the invalid fixtures' %v", flagged, want)
	}
	if got := f.store.appends; got != s.wantAccepted {
		t.Errorf("store holds %d operations, want %d", got, s.wantAccepted)
	}
	if st := f.m.Status(); st.Counts.Rejected != int64(len(s.invalid)) || st.Counts.Malformed != 0 {
		t.Errorf("counts %+v, want %d rejected and none malformed", st.Counts, len(s.invalid))
	}
}

func (s *fixtureSet) checkInvalid(t *testing.T, f *mirrorFixture, l fixtureLog) {
	t.Helper()
	last := l.lines[len(l.lines)-1]
	rs := f.m.Rejections(l.did)
	if len(rs) != 1 || rs[0].CID != last.CID || rs[0].Reason == "" || rs[0].Malformed {
		t.Errorf("%s: reports %+v, want its last operation %s with a reason", l.file, rs, last.CID)
		return
	}
	t.Logf("%s: flagged %s: %s", l.file, rs[0].CID, rs[0].Reason)
	status, body, flag := get(t, f.srv, "/"+string(l.did)+"/log/audit")
	if flag != "1" {
		t.Errorf("%s: reads flagged %q, want 1", l.file, flag)
	}
	if len(l.lines) == 1 {
		if status != 404 {
			t.Errorf("%s: audit log of a DID whose genesis was rejected: %d", l.file, status)
		}
		return
	}
	entries, err := ParseAuditLog([]byte(body))
	if status != 200 || err != nil {
		t.Fatalf("%s: audit log %d %v", l.file, status, err)
	}
	if _, err := VerifyLog(l.did, entries); err != nil {
		t.Errorf("%s: the mirror serves a log that does not verify: %v", l.file, err)
	}
	for i, e := range entries {
		if i >= len(l.lines)-1 || e.CID.String() != l.lines[i].CID {
			t.Errorf("%s: served entry %d is %s, want the fixture's history before the rejected op", l.file, i, e.CID)
		}
	}
	if len(entries) != len(l.lines)-1 {
		t.Errorf("%s: %d entries served, want %d", l.file, len(entries), len(l.lines)-1)
	}
}

func TestMirror_Fixtures(t *testing.T) {
	s := loadFixtureSet(t)
	for _, tc := range []struct {
		mode     CursorMode
		pageSize int
	}{{CursorSeq, 4}, {CursorCreatedAt, 3}} {
		t.Run(string(tc.mode), func(t *testing.T) {
			up := newFakeUpstream(t, s.export, tc.mode == CursorSeq)
			f := newMirrorFixture(t, up.srv.URL, newMemPLC(), NewMirrorStateFile(filepath.Join(t.TempDir(), "m.json")),
				func(c *MirrorConfig) { c.PageSize = tc.pageSize })
			if err := f.m.Sync(context.Background()); err != nil {
				t.Fatalf("sync: %v", err)
			}
			s.check(t, f)
			st := f.m.Status()
			if st.Mode != tc.mode || st.Counts.Accepted != int64(s.wantAccepted) || st.CaughtUpAt.IsZero() {
				t.Errorf("status %+v", st)
			}
			checkPagination(t, up, tc.mode, len(s.export), tc.pageSize)
			checkRejectionLogs(t, f, s)
			checkMirrorEndpoints(t, f, s)
		})
	}
}

// checkPagination asserts the mirror walked the export in pages with a
// cursor that only moves forward.
func checkPagination(t *testing.T, up *fakeUpstream, mode CursorMode, lines, pageSize int) {
	t.Helper()
	reqs, _ := up.log()
	var afters []string
	for _, r := range reqs[1:] { // the first is the probe for the export form
		u, err := url.Parse(r)
		if err != nil || u.Path != "/export" {
			t.Fatalf("unexpected request %q", r)
		}
		afters = append(afters, u.Query().Get("after"))
	}
	if len(afters) < lines/pageSize {
		t.Fatalf("%d export requests for %d lines in pages of %d", len(afters), lines, pageSize)
	}
	for i := 1; i < len(afters); i++ {
		a, b := afters[i-1], afters[i]
		if mode == CursorSeq {
			x, _ := strconv.Atoi(a)
			y, _ := strconv.Atoi(b)
			if y < x {
				t.Errorf("seq cursor went back: %s after %s", b, a)
			}
		} else if b < a { // RFC 3339 UTC with milliseconds sorts as text
			t.Errorf("createdAt cursor went back: %s after %s", b, a)
		}
	}
	t.Logf("%s mode: %d export requests for %d lines, page size %d", mode, len(afters), lines, pageSize)
}

// checkRejectionLogs asserts every rejection was logged, structured.
func checkRejectionLogs(t *testing.T, f *mirrorFixture, s *fixtureSet) {
	t.Helper()
	recs := f.logs.find(slog.LevelWarn, "rules reject")
	if len(recs) != len(s.invalid) {
		t.Fatalf("%d rejection log records, want %d", len(recs), len(s.invalid))
	}
	for _, r := range recs {
		if r.attrs["did"] == "" || r.attrs["cid"] == "" || r.attrs["reason"] == "" || r.attrs["upstream"] == "" {
			t.Errorf("rejection logged without did, cid, reason or upstream: %v", r.attrs)
		}
	}
}

// checkMirrorEndpoints reads /_mirror/rejected, /_mirror/status and the
// mirror's own export.
func checkMirrorEndpoints(t *testing.T, f *mirrorFixture, s *fixtureSet) {
	t.Helper()
	var page rejectedPage
	_, body, _ := get(t, f.srv, "/_mirror/rejected")
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Items) != len(s.invalid) ||
		page.Rejected != int64(len(s.invalid)) {
		t.Errorf("GET /_mirror/rejected: %v %.300s", err, body)
	}
	bad := s.invalid[0]
	_, body, _ = get(t, f.srv, "/_mirror/rejected?did="+string(bad.did))
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Items) != 1 || page.Items[0].DID != bad.did {
		t.Errorf("GET /_mirror/rejected?did=: %v %.300s", err, body)
	}
	if code, _, _ := get(t, f.srv, "/_mirror/rejected?did=nope"); code != 400 {
		t.Errorf("bad did filter: %d", code)
	}
	var st MirrorStatus
	_, body, _ = get(t, f.srv, "/_mirror/status")
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.Upstream != f.m.Upstream() || st.Cursor == "" {
		t.Errorf("GET /_mirror/status: %v %s", err, body)
	}
	_, body, _ = get(t, f.srv, "/export?count=1000")
	if n := len(strings.Split(strings.TrimSpace(body), "\n")); n != s.wantAccepted {
		t.Errorf("the mirror's export has %d lines, want %d", n, s.wantAccepted)
	}
}

func TestMirror_ProbeMode(t *testing.T) {
	cases := []struct {
		body string
		want CursorMode
		err  bool
	}{
		{`{"type":"sequenced_op","seq":1,"did":"x"}`, CursorSeq, false},
		{"\n" + `{"did":"x","createdAt":"2024-01-01T00:00:00.000Z"}`, CursorCreatedAt, false},
		{"", "", false},
		{"garbage", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.body, func(t *testing.T) {
			got, err := probeMode([]byte(tc.body))
			if got != tc.want || (err != nil) != tc.err {
				t.Fatalf("probeMode(%q) = %q, %v", tc.body, got, err)
			}
		})
	}
}

func TestMirror_Backoff(t *testing.T) {
	m := &Mirror{cfg: MirrorConfig{MinBackoff: 1, MaxBackoff: 5}}
	for n, want := range map[int]int{0: 1, 1: 1, 2: 2, 3: 4, 4: 5, 40: 5} {
		m.run.errorsInARow = n
		if got := m.backoff(); int(got) != want {
			t.Errorf("after %d failures: %d, want %d", n, got, want)
		}
	}
}

func TestMirror_ParseLine(t *testing.T) {
	did := "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
	cases := []struct {
		name, line string
		mode       CursorMode
		malformed  bool
		other      bool
	}{
		{"ok seq", `{"type":"sequenced_op","seq":3,"did":"` + did + `","createdAt":"2024-01-01T00:00:00Z"}`, CursorSeq, false, false},
		{"old type", `{"type":"indexed_op","seq":3,"did":"` + did + `"}`, CursorSeq, false, false},
		{"no seq", `{"did":"` + did + `","createdAt":"2024-01-01T00:00:00Z"}`, CursorSeq, true, false},
		{"negative seq", `{"seq":-1,"did":"` + did + `"}`, CursorSeq, true, false},
		{"no createdAt", `{"did":"` + did + `"}`, CursorCreatedAt, true, false},
		{"did:web", `{"seq":3,"did":"did:web:example.com"}`, CursorSeq, true, false},
		{"other type", `{"type":"identity","seq":3}`, CursorSeq, false, true},
		{"not json", `{"seq":`, CursorSeq, true, false},
		{"too long", `{"x":"` + strings.Repeat("a", maxExportLine) + `"}`, CursorSeq, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := placeLine([]byte(tc.line), tc.mode)
			if (err != nil) != tc.malformed || ln.other != tc.other {
				t.Fatalf("placeLine: other %t, err %v", ln.other, err)
			}
		})
	}
	t.Run("cid mismatch", func(t *testing.T) {
		a := newAccount(t)
		g := a.genesis(t)
		gd, _ := g.DID()
		l := opLine(t, gd, g, testEpoch)
		l.CID = mustCID(t, update(t, g, a.user, nil)).String()
		ln, err := placeLine([]byte(lineText(l, 1)), CursorSeq)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ln.entry(); err == nil || !strings.Contains(err.Error(), "hashes to") {
			t.Fatalf("entry: %v", err)
		}
	})
}

var testEpoch = newClock().Now()

func didOf(t *testing.T, op *Operation) syntax.DID {
	t.Helper()
	did, err := op.DID()
	if err != nil {
		t.Fatal(err)
	}
	return did
}
