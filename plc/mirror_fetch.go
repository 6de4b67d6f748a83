package plc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// maxExportLine bounds one export line. A valid operation is at most
// [MaxOperationSize] bytes of DRISL; its JSON line is a few times less
// than this.
const maxExportLine = 64 << 10

// pinnedHTTPClient returns an HTTP client that dials only base's host and
// port: no proxy from the environment, no redirects, and timeout on every
// request.
func pinnedHTTPClient(base string, timeout time.Duration) *http.Client {
	u, _ := url.Parse(base) // checked by parseUpstream
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	want := net.JoinHostPort(u.Hostname(), port)
	dialer := &net.Dialer{Timeout: timeout}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != want {
				return nil, fmt.Errorf("refusing to dial %s: the mirror talks only to %s", addr, want)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          2,
		ForceAttemptHTTP2:     true,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			return fmt.Errorf("redirect to %s refused: the mirror follows only its upstream", req.URL.Redacted())
		},
	}
}

// ensureMode finds out, once, which export form the upstream offers: it
// asks for one operation after sequence number 0. Lines with "seq" mean
// the sequenced form; lines without it, or a 400 (a directory that reads
// after only as a timestamp), mean the createdAt form. An empty export
// decides nothing yet.
func (m *Mirror) ensureMode(ctx context.Context) (CursorMode, error) {
	if mode := m.mode(); mode != "" {
		return mode, nil
	}
	body, err := m.client.get(ctx, "/export?after=0&count=1", m.cfg.MaxPage)
	var mode CursorMode
	switch {
	case rhizome.Is(err, rhizome.Invalid):
		mode = CursorCreatedAt
	case err != nil:
		return "", err
	default:
		if mode, err = probeMode(body); err != nil || mode == "" {
			return "", err
		}
	}
	m.mu.Lock()
	m.st.Mode = mode
	m.mu.Unlock()
	m.log.Info("PLC mirror: upstream export form", "upstream", m.base, "mode", mode)
	return mode, nil
}

func probeMode(body []byte) (CursorMode, error) {
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var w struct {
			Seq *int64 `json:"seq"`
		}
		if err := json.Unmarshal(line, &w); err != nil {
			return "", rhizome.Errorf(opMirror, rhizome.Invalid, "cannot tell the upstream's export form: %w", err)
		}
		if w.Seq != nil {
			return CursorSeq, nil
		}
		return CursorCreatedAt, nil
	}
	return "", nil
}

func (m *Mirror) mode() CursorMode {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.Mode
}

// pagePath is the export request for the next page, and its count.
func (m *Mirror) pagePath() (string, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.run.pageSize
	if m.st.Mode == CursorSeq {
		return fmt.Sprintf("/export?after=%d&count=%d", m.st.Seq, n), n
	}
	if m.st.At.IsZero() {
		return fmt.Sprintf("/export?count=%d", n), n
	}
	after := m.st.At
	if !m.run.strict {
		after = after.Add(-time.Millisecond)
	}
	return fmt.Sprintf("/export?after=%s&count=%d", url.QueryEscape(formatTime(after)), n), n
}

// exportLine is one line of an upstream export, decoded as far as the
// mirror needs to place it.
type exportLine struct {
	raw    []byte
	seq    int64
	hasSeq bool
	at     time.Time
	hasAt  bool
	atRaw  string
	other  bool // a line of another type than an operation
	did    syntax.DID
	cid    string
	op     json.RawMessage
}

type exportLineJSON struct {
	Type      string          `json:"type"`
	DID       string          `json:"did"`
	Operation json.RawMessage `json:"operation"`
	CID       string          `json:"cid"`
	CreatedAt string          `json:"createdAt"`
	Seq       *int64          `json:"seq"`
}

// placeLine decodes raw. An error means the line is malformed: the mirror
// cannot tell which operation it is or where it sits upstream (whatever
// it could tell is in the returned line).
func placeLine(raw []byte, mode CursorMode) (exportLine, error) {
	ln := exportLine{raw: raw}
	if len(raw) > maxExportLine {
		return ln, rhizome.Errorf(opMirror, rhizome.TooLarge, "line of %d bytes, more than %d", len(raw), maxExportLine)
	}
	var w exportLineJSON
	if err := json.Unmarshal(raw, &w); err != nil {
		return ln, rhizome.Errorf(opMirror, rhizome.Invalid, "not a JSON export line: %w", err)
	}
	ln.cid, ln.op, ln.atRaw = w.CID, w.Operation, w.CreatedAt
	if w.Seq != nil && *w.Seq >= 0 {
		ln.seq, ln.hasSeq = *w.Seq, true
	}
	if dt, err := syntax.ParseDatetime(w.CreatedAt); err == nil {
		ln.at, ln.hasAt = dt.Time().UTC(), true
	}
	did, didErr := ParseDID(w.DID)
	if didErr == nil {
		ln.did = did
	}
	switch {
	case mode == CursorSeq && !ln.hasSeq:
		return ln, rhizome.E(opMirror, rhizome.Invalid, "no valid seq in a sequenced export")
	case mode == CursorCreatedAt && !ln.hasAt:
		return ln, rhizome.Errorf(opMirror, rhizome.Invalid, "createdAt %.40q is not a datetime", w.CreatedAt)
	case w.Type != "" && w.Type != exportType && w.Type != exportTypeOld:
		ln.other = true
		return ln, nil
	case didErr != nil:
		return ln, didErr
	}
	return ln, nil
}

// key identifies the line among those at the same instant: its CID, or a
// hash of the line.
func (ln *exportLine) key() string {
	if ln.cid != "" {
		return truncate(ln.cid, 128)
	}
	r := Rejection{Line: truncate(string(ln.raw), 1024)}
	return r.key()
}

// position is the line's place upstream, as text.
func (ln *exportLine) position(mode CursorMode) string {
	switch {
	case mode == CursorSeq && ln.hasSeq:
		return formatInt(ln.seq)
	case mode == CursorCreatedAt && ln.hasAt:
		return formatTime(ln.at)
	}
	return ""
}

// entry turns the line into the log entry the mirror judges: the operation
// must parse strictly, be at most MaxOperationSize bytes of DRISL and hash
// to the CID the line gives. The entry holds the operation whenever it
// parsed, even with an error.
func (ln *exportLine) entry() (LogEntry, []byte, error) {
	const opName = "check upstream operation"
	e := LogEntry{DID: ln.did, CreatedAt: ln.at}
	if !ln.hasAt {
		return e, nil, rhizome.Errorf(opName, rhizome.Invalid, "createdAt %.40q is not a datetime", ln.atRaw)
	}
	op, err := ParseOperationJSON(ln.op)
	if err != nil {
		return e, nil, err
	}
	e.Operation = op
	b, err := op.Bytes()
	if err != nil {
		return e, nil, err
	}
	if len(b) > MaxOperationSize {
		return e, nil, rhizome.Errorf(opName, rhizome.TooLarge,
			"operation is %d bytes of DRISL, more than %d", len(b), MaxOperationSize)
	}
	e.CID = cid.Sum(cid.DagCBOR, b)
	if given, err := cid.Parse(ln.cid); err != nil || given != e.CID {
		return e, nil, rhizome.Errorf(opName, rhizome.Invalid,
			"the upstream gives cid %.80q; the operation hashes to %s", ln.cid, e.CID)
	}
	return e, b, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
