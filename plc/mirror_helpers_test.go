package plc

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// upLine is one operation an upstream directory holds, as it would export
// it, or (raw set) a line it serves verbatim.
type upLine struct {
	DID       string          `json:"did"`
	Operation json.RawMessage `json:"operation"`
	CID       string          `json:"cid"`
	Nullified bool            `json:"nullified"`
	CreatedAt string          `json:"createdAt"`
	at        time.Time
	raw       string
}

// fakeUpstream is a PLC directory export on loopback serving a scripted
// list of lines, in the sequenced form (after=<seq>) or only the older
// createdAt form, with faults injected on demand.
type fakeUpstream struct {
	srv *httptest.Server

	mu       sync.Mutex
	lines    []upLine
	seq      bool           // offers after=<seq>; if not, a numeric after is a 400
	limit    int            // serve only the first limit lines; 0: all
	faults   []http.Handler // served, one per request, before normal pages
	requests []string
	methods  []string
}

func newFakeUpstream(t *testing.T, lines []upLine, seq bool) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{lines: lines, seq: seq}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeUpstream) set(fn func(f *fakeUpstream)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeUpstream) log() (requests, methods []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...), append([]string(nil), f.methods...)
}

func (f *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.URL.RequestURI())
	f.methods = append(f.methods, r.Method)
	var fault http.Handler
	if len(f.faults) > 0 {
		fault, f.faults = f.faults[0], f.faults[1:]
	}
	f.mu.Unlock()
	if fault != nil {
		fault.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet || r.URL.Path != "/export" {
		http.Error(w, `{"message":"not here"}`, http.StatusNotFound)
		return
	}
	body, status := f.page(r.URL.Query())
	w.Header().Set("Content-Type", "application/jsonlines")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (f *fakeUpstream) page(q map[string][]string) (string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	count, _ := strconv.Atoi(get("count"))
	if count <= 0 || count > ExportLimit {
		count = ExportLimit
	}
	lines := f.lines
	if f.limit > 0 {
		lines = lines[:min(f.limit, len(lines))]
	}
	after := get("after")
	if n, err := strconv.ParseInt(after, 10, 64); err == nil {
		if !f.seq {
			return `{"message":"Invalid after parameter"}`, http.StatusBadRequest
		}
		return seqPage(lines, n, count), http.StatusOK
	}
	var t time.Time
	if after != "" {
		dt, err := syntax.ParseDatetime(after)
		if err != nil {
			return `{"message":"Invalid after parameter"}`, http.StatusBadRequest
		}
		t = dt.Time()
	}
	return timePage(lines, t, after == "", count), http.StatusOK
}

func seqPage(lines []upLine, after int64, count int) string {
	var out []string
	for i := int(after); i < len(lines) && len(out) < count; i++ {
		out = append(out, lineText(lines[i], int64(i+1)))
	}
	return strings.Join(out, "\n")
}

func timePage(lines []upLine, after time.Time, all bool, count int) string {
	var out []string
	for _, l := range lines {
		if (all || l.at.After(after)) && len(out) < count {
			out = append(out, lineText(l, 0))
		}
	}
	return strings.Join(out, "\n")
}

// lineText is l as an export line: sequenced if seq > 0. In a raw line,
// %SEQ% stands for the line's sequence number.
func lineText(l upLine, seq int64) string {
	if l.raw != "" {
		return strings.ReplaceAll(l.raw, "%SEQ%", strconv.FormatInt(seq, 10))
	}
	var v any = l
	if seq > 0 {
		v = struct {
			Type string `json:"type"`
			Seq  int64  `json:"seq"`
			upLine
		}{"sequenced_op", seq, l}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// fixtureLog is one audit-log fixture: the raw entries (served upstream as
// if it had accepted every one) and, if it parses, the parsed log.
type fixtureLog struct {
	file    string
	did     syntax.DID
	lines   []upLine
	entries []LogEntry
}

// loadFixtureLogs loads every audit log of a fixture folder; a missing or
// empty folder fails the test.
func loadFixtureLogs(t *testing.T, dir string) []fixtureLog {
	t.Helper()
	var out []fixtureLog
	for _, path := range fixtureFiles(t, dir) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var lines []upLine
		if err := json.Unmarshal(b, &lines); err != nil || len(lines) == 0 {
			t.Fatalf("%s: %v", path, err)
		}
		for i := range lines {
			dt, err := syntax.ParseDatetime(lines[i].CreatedAt)
			if err != nil {
				t.Fatalf("%s: createdAt: %v", path, err)
			}
			lines[i].at = dt.Time()
		}
		entries, _ := ParseAuditLog(b)
		out = append(out, fixtureLog{file: filepath.Base(path), did: syntax.DID(lines[0].DID), lines: lines, entries: entries})
	}
	return out
}

// mergeExport interleaves the fixtures' lines by createdAt, keeping each
// log's own order, as a directory's export would list them.
func mergeExport(logs []fixtureLog) []upLine {
	next := make([]int, len(logs))
	var out []upLine
	for {
		best := -1
		for i, l := range logs {
			if next[i] < len(l.lines) && (best < 0 || l.lines[next[i]].at.Before(logs[best].lines[next[best]].at)) {
				best = i
			}
		}
		if best < 0 {
			return out
		}
		out = append(out, logs[best].lines[next[best]])
		next[best]++
	}
}

// refDirectory is our own directory holding the fixtures' audit logs as
// they are, served over loopback: what a mirror must serve for them.
func refDirectory(t *testing.T, logs []fixtureLog) *httptest.Server {
	t.Helper()
	st := newMemPLC()
	for _, l := range logs {
		if l.entries == nil {
			t.Fatalf("%s does not parse", l.file)
		}
		for _, e := range l.entries {
			b, err := e.Operation.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			st.seq++
			se := store.PLCEntry{DID: e.DID, CID: e.CID, Op: b, Nullified: e.Nullified, CreatedAt: e.CreatedAt, Seq: st.seq}
			st.logs[e.DID] = append(st.logs[e.DID], se)
			st.all = append(st.all, se)
		}
	}
	srv := httptest.NewServer(NewDirectory(st, nil).Handler())
	t.Cleanup(srv.Close)
	return srv
}

// mirrorFixture is a mirror over a memPLC and a state file, served over
// loopback.
type mirrorFixture struct {
	m     *Mirror
	store *memPLC
	state MirrorStateStore
	srv   *httptest.Server
	logs  *logCapture
}

func newMirrorFixture(t *testing.T, upstream string, st *memPLC, state MirrorStateStore, tune func(*MirrorConfig)) *mirrorFixture {
	t.Helper()
	logs := &logCapture{}
	cfg := MirrorConfig{
		Upstream: upstream, Store: st, State: state, Logger: slog.New(logs),
		Interval: 20 * time.Millisecond, MinBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond,
		Timeout: 5 * time.Second,
	}
	if tune != nil {
		tune(&cfg)
	}
	m, err := NewMirror(context.Background(), cfg)
	if err != nil {
		t.Fatalf("new mirror: %v", err)
	}
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	return &mirrorFixture{m: m, store: st, state: state, srv: srv, logs: logs}
}

// get fetches path from srv: status, body and the rejected-ops flag.
func get(t *testing.T, srv *httptest.Server, path string) (int, string, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header.Get(HeaderMirrorRejected)
}

// readPaths are the per-DID reads of the directory API.
var readPaths = []string{"", "/data", "/log", "/log/audit", "/log/last"}

// sameReads checks that the mirror serves exactly what want serves for did.
func sameReads(t *testing.T, mirror, want *httptest.Server, did syntax.DID) {
	t.Helper()
	for _, p := range readPaths {
		path := "/" + string(did) + p
		ws, wb, _ := get(t, want, path)
		ms, mb, flag := get(t, mirror, path)
		if ms != ws || mb != wb {
			t.Errorf("GET %s: mirror %d %.300s\nwant %d %.300s", path, ms, mb, ws, wb)
		}
		if flag != "" {
			t.Errorf("GET %s: flagged %q for a DID without rejections", path, flag)
		}
	}
}

// logCapture is a slog handler keeping every record, to check what the
// mirror logs.
type logCapture struct {
	mu   sync.Mutex
	recs []capturedLog
}

type capturedLog struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCapture) WithGroup(string) slog.Handler            { return c }

func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	rec := capturedLog{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	c.mu.Lock()
	c.recs = append(c.recs, rec)
	c.mu.Unlock()
	return nil
}

// find returns the records at level whose message contains msg.
func (c *logCapture) find(level slog.Level, msg string) []capturedLog {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []capturedLog
	for _, r := range c.recs {
		if r.level == level && strings.Contains(r.msg, msg) {
			out = append(out, r)
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// opLine is the upstream line of op for did, accepted at at.
func opLine(t *testing.T, did syntax.DID, op *Operation, at time.Time) upLine {
	t.Helper()
	return upLine{DID: string(did), Operation: mustJSON(t, op), CID: mustCID(t, op).String(),
		CreatedAt: formatTime(at), at: at.UTC().Truncate(time.Millisecond)}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
