package badinput

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// client speaks XRPC to one pod incarnation.
type client struct {
	base string
	hc   *http.Client
}

func newClient(p *pod) *client {
	return &client{base: "http://" + p.Addr, hc: &http.Client{Timeout: 60 * time.Second}}
}

// request is one HTTP request to the pod. Body, when set, is sent with
// Content-Type CType (none if CType is empty); Stream, when set, is sent
// with chunked encoding instead.
type request struct {
	Method string // default POST with a body, GET without
	Path   string // "/xrpc/NSID" or any other path
	Query  url.Values
	Header map[string]string
	CType  string
	Body   []byte
	Stream io.Reader
	Length int64 // announced Content-Length for Stream (0: chunked)
}

// reply is a whole response.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// xrpcError is the XRPC error body.
type xrpcError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func (r reply) String() string {
	b := r.body
	if len(b) > 400 {
		b = append(b[:400:400], "..."...)
	}
	return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(b))
}

func (c *client) send(rq request) (reply, error) {
	u := c.base + rq.Path
	if len(rq.Query) > 0 {
		u += "?" + rq.Query.Encode()
	}
	var body io.Reader
	switch {
	case rq.Stream != nil:
		body = rq.Stream
	case rq.Body != nil:
		body = bytes.NewReader(rq.Body)
	}
	method := rq.Method
	if method == "" {
		method = http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return reply{}, err
	}
	if rq.Stream != nil {
		req.ContentLength = rq.Length
	}
	if rq.CType != "" {
		req.Header.Set("Content-Type", rq.CType)
	}
	for k, v := range rq.Header {
		req.Header.Set(k, v)
	}
	return c.roundTrip(req)
}

func (c *client) roundTrip(req *http.Request) (reply, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// must sends a request that has to answer 200 and returns the body.
func (c *client) must(t testing.TB, rq request) []byte {
	t.Helper()
	r, err := c.send(rq)
	if err != nil {
		t.Fatalf("%s: %v", rq.Path, err)
	}
	if r.status != http.StatusOK {
		t.Fatalf("%s %v: %s", rq.Path, rq.Query, r)
	}
	return r.body
}

// query runs a GET query that has to succeed.
func (c *client) query(t testing.TB, nsid string, q url.Values) []byte {
	t.Helper()
	return c.must(t, request{Path: "/xrpc/" + nsid, Query: q})
}

// call posts a JSON procedure that has to succeed and decodes its output.
func (c *client) call(t testing.TB, nsid, token string, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	body := c.must(t, request{Path: "/xrpc/" + nsid, CType: "application/json", Body: b, Header: bearer(token)})
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s: decode %s: %v", nsid, body, err)
		}
	}
}

func bearer(token string) map[string]string {
	if token == "" {
		return nil
	}
	return map[string]string{"Authorization": "Bearer " + token}
}

// account is a test account and its session.
type account struct {
	Handle     string
	DID        string
	AccessJwt  string
	RefreshJwt string
}

func createAccount(t testing.TB, c *client, name string) account {
	t.Helper()
	var a account
	in := map[string]string{"handle": name + ".test", "email": name + "@example.test", "password": "password-" + name}
	c.call(t, "com.atproto.server.createAccount", "", in, &a)
	if a.DID == "" || a.AccessJwt == "" || a.RefreshJwt == "" {
		t.Fatalf("createAccount %s: incomplete session %+v", name, a)
	}
	return a
}
