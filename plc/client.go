package plc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// DefaultDirectoryURL is the public PLC directory.
const DefaultDirectoryURL = "https://plc.directory"

// Response size limits of the client.
const (
	MaxDocumentResponse = 1 << 20  // document, data, one operation, an error
	MaxLogResponse      = 16 << 20 // a log, an audit log, an export page
)

// Client talks to a PLC directory. The zero value uses
// [DefaultDirectoryURL] and an HTTP client with a 30-second timeout.
type Client struct {
	BaseURL string       // e.g. "https://plc.directory", no trailing slash needed
	HTTP    *http.Client // nil: a client with a 30-second timeout
}

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

const opClient = "plc directory"

// Resolve fetches did's DID document. A tombstoned DID is a NotFound error
// wrapping [ErrGone].
func (c *Client) Resolve(ctx context.Context, did syntax.DID) (*Document, error) {
	var doc Document
	if err := c.getDID(ctx, did, "", MaxDocumentResponse, &doc); err != nil {
		return nil, err
	}
	if doc.ID != did {
		return nil, rhizome.Errorf(opClient, rhizome.Corrupt, "asked for %s, got the document of %q", did, doc.ID)
	}
	return &doc, nil
}

// Data fetches did's current state.
func (c *Client) Data(ctx context.Context, did syntax.DID) (*Data, error) {
	var data Data
	if err := c.getDID(ctx, did, "/data", MaxDocumentResponse, &data); err != nil {
		return nil, err
	}
	if data.DID != did {
		return nil, rhizome.Errorf(opClient, rhizome.Corrupt, "asked for %s, got the data of %q", did, data.DID)
	}
	return &data, nil
}

// AuditLog fetches did's whole log. It does not verify it: see
// [VerifyLog] and [Client.VerifiedData].
func (c *Client) AuditLog(ctx context.Context, did syntax.DID) ([]LogEntry, error) {
	var entries []LogEntry
	if err := c.getDID(ctx, did, "/log/audit", MaxLogResponse, &entries); err != nil {
		return nil, err
	}
	return entries, nil
}

// VerifiedData fetches did's audit log, verifies it and returns the state
// it leads to, so the answer does not depend on trusting the directory
// beyond its choice among forks.
func (c *Client) VerifiedData(ctx context.Context, did syntax.DID) (*Data, error) {
	entries, err := c.AuditLog(ctx, did)
	if err != nil {
		return nil, err
	}
	head, err := VerifyLog(did, entries)
	if err != nil {
		return nil, rhizome.Errorf(opClient, rhizome.Corrupt, "%s: %w", did, err)
	}
	return DataFor(did, head)
}

// LastOp fetches did's latest operation (possibly a tombstone).
func (c *Client) LastOp(ctx context.Context, did syntax.DID) (*Operation, error) {
	var op Operation
	if err := c.getDID(ctx, did, "/log/last", MaxDocumentResponse, &op); err != nil {
		return nil, err
	}
	return &op, nil
}

// Submit posts a signed operation for did.
func (c *Client) Submit(ctx context.Context, did syntax.DID, op *Operation) error {
	body, err := json.Marshal(op)
	if err != nil {
		return rhizome.Errorf(opClient, rhizome.KindOf(err), "%w", err)
	}
	if _, err := ParseDID(string(did)); err != nil {
		return err
	}
	req, err := c.request(ctx, http.MethodPost, "/"+string(did), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, MaxDocumentResponse))
	return nil
}

// Export fetches up to count operations accepted after sequence number
// after.
func (c *Client) Export(ctx context.Context, after int64, count int) ([]ExportEntry, error) {
	path := fmt.Sprintf("/export?after=%d&count=%d", after, count)
	b, err := c.get(ctx, path, MaxLogResponse)
	if err != nil {
		return nil, err
	}
	var out []ExportEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, MaxLogResponse)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e ExportEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, rhizome.Errorf(opClient, rhizome.Invalid, "export line %d: %w", len(out)+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// getDID fetches the JSON resource suffix of did into v.
func (c *Client) getDID(ctx context.Context, did syntax.DID, suffix string, limit int64, v any) error {
	if _, err := ParseDID(string(did)); err != nil {
		return err
	}
	path := "/" + string(did) + suffix
	b, err := c.get(ctx, path, limit)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return rhizome.Errorf(opClient, rhizome.Invalid, "GET %s: %w", path, err)
	}
	return nil
}

func (c *Client) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	req, err := c.request(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return readLimited(resp.Body, limit, path)
}

func (c *Client) request(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	base := c.BaseURL
	if base == "" {
		base = DefaultDirectoryURL
	}
	u, err := url.Parse(strings.TrimSuffix(base, "/") + path)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, rhizome.Errorf(opClient, rhizome.Invalid, "bad directory URL %q", base)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, rhizome.Errorf(opClient, rhizome.Invalid, "%w", err)
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// do sends req and turns transport failures and error statuses into
// errors; on success the caller closes the body.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, rhizome.Errorf(opClient, rhizome.Unavailable, "%s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, statusError(req, resp)
}

func statusError(req *http.Request, resp *http.Response) error {
	var body errorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if json.Unmarshal(b, &body) != nil || body.Message == "" {
		body.Message = http.StatusText(resp.StatusCode)
	}
	cause := fmt.Errorf("%s %s: %d: %s", req.Method, req.URL.Path, resp.StatusCode, body.Message)
	if resp.StatusCode == http.StatusGone {
		cause = fmt.Errorf("%w: %w", cause, ErrGone)
	}
	return &rhizome.Error{Op: opClient, Kind: kindOfStatus(resp.StatusCode), Err: cause}
}

func kindOfStatus(status int) rhizome.Kind {
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		return rhizome.NotFound
	case status == http.StatusRequestEntityTooLarge:
		return rhizome.TooLarge
	case status == http.StatusConflict:
		return rhizome.Conflict
	case status == http.StatusTooManyRequests || status >= 500:
		return rhizome.Unavailable
	case status >= 400:
		return rhizome.Invalid
	}
	return rhizome.Other
}

func readLimited(r io.Reader, limit int64, path string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, rhizome.Errorf(opClient, rhizome.Unavailable, "read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, rhizome.Errorf(opClient, rhizome.TooLarge, "%s: response exceeds %d bytes", path, limit)
	}
	return b, nil
}
