package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// Timeouts of one call: getRepo of a big repository gets longer.
const (
	callTimeout    = 30 * time.Second
	getRepoTimeout = 5 * time.Minute
)

// client makes plain-JSON XRPC calls over a keep-alive connection pool.
type client struct {
	base string
	http *http.Client
}

func newClient(base string, concurrency int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2*concurrency + 4,
		MaxIdleConnsPerHost: 2*concurrency + 4,
		IdleConnTimeout:     90 * time.Second,
	}
	return &client{base: base, http: &http.Client{Transport: tr}}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// callError is a failed call: a transport failure or a non-2xx answer with
// its body (the XRPC error object).
type callError struct {
	NSID   string
	Status int // 0 when no answer came
	Body   string
	Err    error
}

func (e *callError) Error() string {
	if e.Err != nil && e.Body != "" {
		return fmt.Sprintf("%s: %v in answer %s", e.NSID, e.Err, e.Body)
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.NSID, e.Err)
	}
	msg := fmt.Sprintf("%s: HTTP %d %s", e.NSID, e.Status, strings.TrimSpace(e.Body))
	if e.Status == http.StatusTooManyRequests {
		msg += " (the server rate-limits: for rhizome serve use --rate-limits off)"
	}
	return msg
}

// request is one XRPC call.
type request struct {
	method  string // GET or POST
	nsid    string
	path    string // URL path instead of /xrpc/NSID
	params  url.Values
	body    any // JSON input of a POST
	token   string
	basic   string // "user:password" for basic auth
	timeout time.Duration
}

// do makes the call and returns the whole response body; any non-2xx is a
// *callError.
func (c *client) do(ctx context.Context, r request) ([]byte, error) {
	if r.timeout == 0 {
		r.timeout = callTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := c.newRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, &callError{NSID: r.nsid, Err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, &callError{NSID: r.nsid, Status: res.StatusCode, Err: fmt.Errorf("read answer: %w", err)}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, &callError{NSID: r.nsid, Status: res.StatusCode, Body: clip(string(body), 300)}
	}
	return body, nil
}

func (c *client) newRequest(ctx context.Context, r request) (*http.Request, error) {
	u := c.base + "/xrpc/" + r.nsid
	if r.path != "" {
		u = c.base + r.path
	}
	if len(r.params) > 0 {
		u += "?" + r.params.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, rhizome.E("encode input", rhizome.Invalid, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, rhizome.E("make request", rhizome.Invalid, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if user, pass, ok := strings.Cut(r.basic, ":"); ok {
		req.SetBasicAuth(user, pass)
	}
	return req, nil
}

// json makes the call and decodes the JSON answer into out (when not nil).
func (c *client) json(ctx context.Context, r request, out any) error {
	body, err := c.do(ctx, r)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &callError{NSID: r.nsid, Body: clip(string(body), 300), Err: fmt.Errorf("decode answer: %w", err)}
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
