package crash

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// client speaks XRPC to one pod incarnation. A fresh client per pod start
// keeps connections to a killed process out of the pool.
type client struct {
	base string
	hc   *http.Client
}

func newClient(p *pod) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	return &client{base: "http://" + p.Addr, hc: &http.Client{Timeout: 30 * time.Second, Transport: tr}}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// reply is a complete HTTP response: status and the whole body.
type reply struct {
	status int
	body   []byte
}

// xrpcError is the XRPC error body.
type xrpcError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func (r reply) ok() bool { return r.status >= 200 && r.status < 300 }

func (r reply) errName() string {
	var e xrpcError
	json.Unmarshal(r.body, &e)
	return e.Error
}

func (r reply) String() string { return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body)) }

// do sends a request and reads the whole response. An error means the
// outcome is unknown: the connection failed or the body was cut short.
func (c *client) do(ctx context.Context, method, nsid string, q url.Values, token string, body []byte) (reply, error) {
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
		return reply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("read %s response: %w", nsid, err)
	}
	return reply{status: resp.StatusCode, body: b}, nil
}

// call posts a JSON procedure.
func (c *client) call(ctx context.Context, nsid, token string, in any) (reply, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return reply{}, err
	}
	return c.do(ctx, http.MethodPost, nsid, nil, token, b)
}

// query runs a GET query.
func (c *client) query(ctx context.Context, nsid string, q url.Values) (reply, error) {
	return c.do(ctx, http.MethodGet, nsid, q, "", nil)
}

// mustQuery runs a query that has to succeed with 200 and decodes its
// JSON output into out (when out is not nil).
func (c *client) mustQuery(t testing.TB, nsid string, q url.Values, out any) []byte {
	t.Helper()
	r, err := c.query(context.Background(), nsid, q)
	if err != nil {
		t.Fatalf("GET %s %v: %v", nsid, q, err)
	}
	if r.status != http.StatusOK {
		t.Fatalf("GET %s %v: %s", nsid, q, r)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("GET %s: decode %s: %v", nsid, r.body, err)
		}
	}
	return r.body
}

// account is a test account and its session.
type account struct {
	handle, did, access, refresh string
}

func createAccount(t testing.TB, c *client, name string) account {
	t.Helper()
	in := map[string]string{"handle": name + ".test", "email": name + "@example.test", "password": "password-" + name}
	r, err := c.call(context.Background(), "com.atproto.server.createAccount", "", in)
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("createAccount %s: %v %s", name, err, r)
	}
	var out struct{ Handle, DID, AccessJwt, RefreshJwt string }
	if err := json.Unmarshal(r.body, &out); err != nil || out.DID == "" || out.AccessJwt == "" {
		t.Fatalf("createAccount %s: bad output %s (%v)", name, r.body, err)
	}
	return account{handle: out.Handle, did: out.DID, access: out.AccessJwt, refresh: out.RefreshJwt}
}
