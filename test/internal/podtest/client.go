package podtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Client speaks XRPC to one pod incarnation. A fresh client per pod start
// keeps connections to a stopped or killed process out of the pool.
type Client struct {
	Base string
	HC   *http.Client
}

// NewClient returns a client of p.
func NewClient(p *Pod) *Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	return &Client{Base: "http://" + p.Addr, HC: &http.Client{Timeout: 30 * time.Second, Transport: tr}}
}

// Close drops the client's idle connections.
func (c *Client) Close() { c.HC.CloseIdleConnections() }

// Reply is a complete HTTP response.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports a 2xx status.
func (r Reply) OK() bool { return r.Status >= 200 && r.Status < 300 }

// ErrName is the error field of an XRPC error body, or "".
func (r Reply) ErrName() string {
	var e struct{ Error string }
	json.Unmarshal(r.Body, &e)
	return e.Error
}

func (r Reply) String() string {
	b := bytes.TrimSpace(r.Body)
	if len(b) > 400 {
		b = append(b[:400:400], "..."...)
	}
	return fmt.Sprintf("%d %s", r.Status, b)
}

// Do sends one request and reads the whole response. An error means the
// outcome is unknown: the connection failed or the body was cut short.
func (c *Client) Do(ctx context.Context, method, nsid string, q url.Values, token, ctype string, body []byte) (Reply, error) {
	u := c.Base + "/xrpc/" + nsid
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return Reply{}, fmt.Errorf("build %s request: %w", nsid, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.HC.Do(req)
	if err != nil {
		return Reply{}, fmt.Errorf("send %s: %w", nsid, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Reply{}, fmt.Errorf("read %s response: %w", nsid, err)
	}
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// Post sends a JSON procedure and returns whatever the pod answers.
func (c *Client) Post(ctx context.Context, nsid, token string, in any) (Reply, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return Reply{}, fmt.Errorf("encode %s input: %w", nsid, err)
	}
	return c.Do(ctx, http.MethodPost, nsid, nil, token, "application/json", b)
}

// Call posts a JSON procedure that has to succeed and decodes its output
// into out (when out is not nil); a non-2xx answer is an error.
func (c *Client) Call(ctx context.Context, nsid, token string, in, out any) error {
	r, err := c.Post(ctx, nsid, token, in)
	if err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("%s: %s", nsid, r)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			return fmt.Errorf("decode %s output %s: %w", nsid, r, err)
		}
	}
	return nil
}

// MustCall is Call from the test goroutine.
func (c *Client) MustCall(t testing.TB, nsid, token string, in, out any) {
	t.Helper()
	if err := c.Call(context.Background(), nsid, token, in, out); err != nil {
		t.Fatal(err)
	}
}

// Query runs a GET query.
func (c *Client) Query(ctx context.Context, nsid string, q url.Values) (Reply, error) {
	return c.Do(ctx, http.MethodGet, nsid, q, "", "", nil)
}

// MustQuery runs a GET query that has to answer 200, decodes the JSON
// output into out when out is not nil, and returns the body.
func (c *Client) MustQuery(t testing.TB, nsid string, q url.Values, out any) []byte {
	t.Helper()
	r, err := c.Query(context.Background(), nsid, q)
	if err != nil {
		t.Fatalf("GET %s %v: %v", nsid, q, err)
	}
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s %v: %s", nsid, q, r)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			t.Fatalf("GET %s: decode %s: %v", nsid, r, err)
		}
	}
	return r.Body
}

// ListCollection pages through one collection with listRecords and adds
// collection/rkey → CID of every record to into.
func (c *Client) ListCollection(t testing.TB, did, coll string, into map[string]string) {
	t.Helper()
	cursor := ""
	for range 10000 {
		q := url.Values{"repo": {did}, "collection": {coll}, "limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var out struct {
			Records []struct{ URI, CID string }
			Cursor  string
		}
		c.MustQuery(t, "com.atproto.repo.listRecords", q, &out)
		for _, r := range out.Records {
			into[URIPath(r.URI)] = r.CID
		}
		if out.Cursor == "" || len(out.Records) == 0 {
			return
		}
		cursor = out.Cursor
	}
	t.Fatalf("listRecords %s %s does not end", did, coll)
}

// URIPath is the collection/rkey part of at://DID/collection/rkey.
func URIPath(uri string) string {
	_, path, _ := strings.Cut(strings.TrimPrefix(uri, "at://"), "/")
	return path
}

// MustQueryAs is a GET of nsid without parameters, with a session token;
// it fails the test unless the answer is 200 and returns the body.
func (c *Client) MustQueryAs(t testing.TB, nsid, token string) []byte {
	t.Helper()
	r, err := c.Do(context.Background(), http.MethodGet, nsid, nil, token, "", nil)
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("GET %s: %v %s", nsid, err, r)
	}
	return r.Body
}
