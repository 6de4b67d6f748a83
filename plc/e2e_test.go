package plc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// e2e is a directory served over loopback HTTP and a client for it.
type e2e struct {
	clock  *fakeClock
	srv    *httptest.Server
	client *Client
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	e := &e2e{clock: newClock()}
	e.srv = httptest.NewServer(NewDirectory(newMemPLC(), e.clock.Now).Handler())
	t.Cleanup(e.srv.Close)
	e.client = &Client{BaseURL: e.srv.URL, HTTP: e.srv.Client()}
	return e
}

// post sends a raw body and returns the status and the error message.
func (e *e2e) post(t *testing.T, path, body string) (int, string) {
	t.Helper()
	resp, err := e.srv.Client().Post(e.srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msg errorBody
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(b, &msg); err != nil || msg.Message == "" {
			t.Errorf("status %d with body %q, want a JSON message", resp.StatusCode, b)
		}
	}
	return resp.StatusCode, msg.Message
}

func (e *e2e) status(t *testing.T, path string) int {
	t.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestHandler_EndToEnd(t *testing.T) {
	ctx := context.Background()
	e := newE2E(t)
	a := newAccount(t)
	g := a.genesis(t)
	did, _ := g.DID()
	c := e.client
	step := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		e.clock.Advance(time.Minute)
	}
	step("create", c.Submit(ctx, did, g))

	// Rotate the signing key and change the handle.
	newSigning := newKey(t, keys.P256)
	u := update(t, g, a.host, func(op *Operation) {
		op.VerificationMethods[VerificationMethodAtproto] = newSigning.PublicKey().DIDKey()
		op.AlsoKnownAs = []string{"at://alice2.test"}
	})
	step("update", c.Submit(ctx, did, u))

	doc, err := c.Resolve(ctx, did)
	if err != nil || doc.AlsoKnownAs[0] != "at://alice2.test" ||
		doc.VerificationMethod[0].PublicKeyMultibase != newSigning.PublicKey().Multibase() {
		t.Fatalf("document %+v, %v", doc, err)
	}
	data, err := c.Data(ctx, did)
	if err != nil || len(data.RotationKeys) != 2 {
		t.Fatalf("data %+v, %v", data, err)
	}
	verified, err := c.VerifiedData(ctx, did)
	if err != nil || verified.AlsoKnownAs[0] != "at://alice2.test" {
		t.Fatalf("verified data %+v, %v", verified, err)
	}
	last, err := c.LastOp(ctx, did)
	if err != nil || mustCID(t, last) != mustCID(t, u) {
		t.Fatalf("last op: %v", err)
	}
	if got := e.status(t, "/"+string(did)+"/log"); got != http.StatusOK {
		t.Errorf("GET log: %d", got)
	}

	// An operation signed by the signing key (not a rotation key) is refused.
	err = c.Submit(ctx, did, update(t, u, newSigning, nil))
	if !rhizome.Is(err, rhizome.Invalid) || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("non-rotation key: err %v", err)
	}

	// The user's key overrides the host's update within 72 hours...
	step("wait", nil)
	fork := update(t, g, a.user, func(op *Operation) { op.AlsoKnownAs = []string{"at://alice.test"} })
	step("fork", c.Submit(ctx, did, fork))
	audit, err := c.AuditLog(ctx, did)
	if err != nil || len(audit) != 3 || !audit[1].Nullified || audit[2].Nullified {
		t.Fatalf("audit log after fork: %+v, %v", audit, err)
	}
	if _, err := VerifyLog(did, audit); err != nil {
		t.Fatalf("served audit log does not verify: %v", err)
	}

	// ...but not after.
	hostUpdate := update(t, fork, a.host, nil)
	step("host update", c.Submit(ctx, did, hostUpdate))
	e.clock.Advance(RecoveryWindow)
	err = c.Submit(ctx, did, update(t, fork, a.user, nil))
	if !rhizome.Is(err, rhizome.Invalid) {
		t.Fatalf("late fork: err %v", err)
	}

	// A tombstone ends the DID.
	ts, _ := Tombstone(hostUpdate)
	ts = signed(t, ts, a.user)
	step("tombstone", c.Submit(ctx, did, ts))
	_, err = c.Resolve(ctx, did)
	if !rhizome.Is(err, rhizome.NotFound) || !errors.Is(err, ErrGone) {
		t.Fatalf("resolve tombstoned: err %v", err)
	}
	if got := e.status(t, "/"+string(did)+"/data"); got != http.StatusGone {
		t.Errorf("GET data of tombstoned DID: %d, want 410", got)
	}
	next, _ := Update(hostUpdate, nil)
	next.Prev = mustCID(t, ts)
	if err := c.Submit(ctx, did, signed(t, next, a.user)); !rhizome.Is(err, rhizome.Invalid) {
		t.Fatalf("update after tombstone: err %v", err)
	}
	last, err = c.LastOp(ctx, did)
	if err != nil || last.Type != TypeTombstone {
		t.Fatalf("last op after tombstone: %+v, %v", last, err)
	}

	page, err := c.Export(ctx, 0, 100)
	if err != nil || len(page) != 5 || page[4].Seq != 5 || page[4].Operation.Type != TypeTombstone {
		t.Fatalf("export: %d entries, %v", len(page), err)
	}
}

func TestHandler_BadRequests(t *testing.T) {
	e := newE2E(t)
	a := newAccount(t)
	g := a.genesis(t)
	did, _ := g.DID()
	path := "/" + string(did)
	t.Run("malformed JSON", func(t *testing.T) {
		if got, msg := e.post(t, path, `{"type":`); got != http.StatusBadRequest || msg == "" {
			t.Fatalf("status %d %q", got, msg)
		}
	})
	t.Run("not an operation", func(t *testing.T) {
		if got, _ := e.post(t, path, `{"type":"plc_operation"}`); got != http.StatusBadRequest {
			t.Fatalf("status %d", got)
		}
	})
	t.Run("oversized body", func(t *testing.T) {
		body := `{"type":"plc_operation","alsoKnownAs":["` + strings.Repeat("a", MaxBodySize) + `"]}`
		if got, _ := e.post(t, path, body); got != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", got)
		}
	})
	t.Run("oversized operation", func(t *testing.T) {
		big, _ := Update(g, func(op *Operation) {
			op.AlsoKnownAs = nil
			for i := range 10 {
				op.AlsoKnownAs = append(op.AlsoKnownAs, "at://"+strings.Repeat(string(rune('a'+i)), 250))
			}
			for i := range 9 {
				op.Services[string(rune('a'+i))] = Service{Type: strings.Repeat("t", 200), Endpoint: strings.Repeat("e", 500)}
			}
		})
		signed(t, big, a.user)
		b, _ := big.Bytes()
		js, _ := json.Marshal(big)
		if len(b) <= MaxOperationSize || len(js) >= MaxBodySize {
			t.Fatalf("test operation is %d bytes (JSON %d)", len(b), len(js))
		}
		err := e.client.Submit(context.Background(), did, big)
		if !rhizome.Is(err, rhizome.TooLarge) {
			t.Fatalf("err %v, want too large", err)
		}
	})
	t.Run("bad DID", func(t *testing.T) {
		if got := e.status(t, "/did:web:example.com"); got != http.StatusBadRequest {
			t.Fatalf("status %d", got)
		}
		if got, _ := e.post(t, "/not-a-did", "{}"); got != http.StatusBadRequest {
			t.Fatalf("status %d", got)
		}
	})
	t.Run("unknown DID", func(t *testing.T) {
		for _, suffix := range []string{"", "/data", "/log", "/log/audit", "/log/last"} {
			if got := e.status(t, path+suffix); got != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", suffix, got)
			}
		}
		_, err := e.client.Resolve(context.Background(), did)
		if !rhizome.Is(err, rhizome.NotFound) || errors.Is(err, ErrGone) {
			t.Fatalf("err %v, want not found", err)
		}
	})
	t.Run("bad export parameters", func(t *testing.T) {
		for _, q := range []string{"after=2024-01-01T00:00:00.000Z", "after=-1", "count=0", "count=x"} {
			if got := e.status(t, "/export?"+q); got != http.StatusBadRequest {
				t.Errorf("%s: %d", q, got)
			}
		}
	})
}
