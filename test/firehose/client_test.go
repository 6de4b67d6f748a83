package firehose

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

// client speaks XRPC to one pod incarnation. A fresh client per pod start
// keeps connections to a stopped process out of the pool.
type client struct {
	base string
	hc   *http.Client
}

func newClient(p *pod) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	return &client{base: "http://" + p.Addr, hc: &http.Client{Timeout: 30 * time.Second, Transport: tr}}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// reply is a complete HTTP response.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) ok() bool { return r.status >= 200 && r.status < 300 }

func (r reply) String() string {
	b := bytes.TrimSpace(r.body)
	if len(b) > 400 {
		b = append(b[:400:400], "..."...)
	}
	return fmt.Sprintf("%d %s", r.status, b)
}

// do sends one request and reads the whole response.
func (c *client) do(ctx context.Context, method, nsid string, q url.Values, token, ctype string, body []byte) (reply, error) {
	u := c.base + "/xrpc/" + nsid
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return reply{}, fmt.Errorf("build %s request: %w", nsid, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("send %s: %w", nsid, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("read %s response: %w", nsid, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// call posts a JSON procedure; a non-2xx answer is an error.
func (c *client) call(ctx context.Context, nsid, token string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode %s input: %w", nsid, err)
	}
	r, err := c.do(ctx, http.MethodPost, nsid, nil, token, "application/json", b)
	if err != nil {
		return err
	}
	if !r.ok() {
		return fmt.Errorf("%s: %s", nsid, r)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			return fmt.Errorf("decode %s output %s: %w", nsid, r, err)
		}
	}
	return nil
}

// mustCall is call from the test goroutine.
func (c *client) mustCall(t testing.TB, nsid, token string, in, out any) {
	t.Helper()
	if err := c.call(context.Background(), nsid, token, in, out); err != nil {
		t.Fatal(err)
	}
}

// mustQuery runs a GET query that has to answer 200, decodes the JSON
// output into out when out is not nil, and returns the body.
func (c *client) mustQuery(t testing.TB, nsid string, q url.Values, out any) []byte {
	t.Helper()
	r, err := c.do(context.Background(), http.MethodGet, nsid, q, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusOK {
		t.Fatalf("GET %s %v: %s", nsid, q, r)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("GET %s: decode %s: %v", nsid, r, err)
		}
	}
	return r.body
}

// account is a test account and its session.
type account struct {
	handle, did, access string
}

func createAccount(t testing.TB, c *client, name string) account {
	t.Helper()
	in := map[string]string{"handle": name + ".test", "email": name + "@example.test", "password": "password-" + name}
	var out struct{ Handle, DID, AccessJwt string }
	c.mustCall(t, "com.atproto.server.createAccount", "", in, &out)
	if out.DID == "" || out.AccessJwt == "" {
		t.Fatalf("createAccount %s: output lacks did or accessJwt: %+v", name, out)
	}
	return account{handle: out.Handle, did: out.DID, access: out.AccessJwt}
}

// head is a repository's latest commit as getLatestCommit reports it.
type head struct{ CID, Rev string }

func latestCommit(t testing.TB, c *client, did string) head {
	t.Helper()
	var h head
	c.mustQuery(t, "com.atproto.sync.getLatestCommit", url.Values{"did": {did}}, &h)
	if h.CID == "" || h.Rev == "" {
		t.Fatalf("getLatestCommit %s: no cid or rev: %+v", did, h)
	}
	return h
}

// listAll reads every record of a repository with describeRepo and
// listRecords: collection/rkey to CID.
func listAll(t testing.TB, c *client, did string) map[string]string {
	t.Helper()
	var desc struct{ Collections []string }
	c.mustQuery(t, "com.atproto.repo.describeRepo", url.Values{"repo": {did}}, &desc)
	out := map[string]string{}
	for _, coll := range desc.Collections {
		listCollection(t, c, did, coll, out)
	}
	return out
}

func listCollection(t testing.TB, c *client, did, coll string, into map[string]string) {
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
		c.mustQuery(t, "com.atproto.repo.listRecords", q, &out)
		for _, r := range out.Records {
			into[uriPath(r.URI)] = r.CID
		}
		if out.Cursor == "" || len(out.Records) == 0 {
			return
		}
		cursor = out.Cursor
	}
	t.Fatalf("listRecords %s %s does not end", did, coll)
}

// uriPath is the collection/rkey part of at://DID/collection/rkey.
func uriPath(uri string) string {
	_, path, _ := strings.Cut(strings.TrimPrefix(uri, "at://"), "/")
	return path
}
