package identity

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

const (
	alicePLC = syntax.DID("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
	bobPLC   = syntax.DID("did:plc:bbbbbbbbbbbbbbbbbbbbbbbb")
	carolWeb = syntax.DID("did:web:carol.test")
)

// reply is what the fake network answers on one path.
type reply struct {
	status int
	body   string
	header map[string]string
	delay  time.Duration // waits this long (or until the client gives up) first
}

// world is a loopback HTTP server standing in for the PLC directory and
// for every did:web host and handle domain, plus a fake DNS. Paths are
// "/plc/<did>" and "/host/<host>/.well-known/...".
type world struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	replies map[string]reply
	hits    map[string]int
	txt     map[string][]string
	txtErr  map[string]error
	dnsHits map[string]int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		t: t, replies: map[string]reply{}, hits: map[string]int{},
		txt: map[string][]string{}, txtErr: map[string]error{}, dnsHits: map[string]int{},
	}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *world) serve(rw http.ResponseWriter, req *http.Request) {
	w.mu.Lock()
	w.hits[req.URL.Path]++
	rep, ok := w.replies[req.URL.Path]
	w.mu.Unlock()
	if !ok {
		http.NotFound(rw, req)
		return
	}
	if rep.delay > 0 {
		select {
		case <-time.After(rep.delay):
		case <-req.Context().Done():
			return
		}
	}
	for k, v := range rep.header {
		rw.Header().Set(k, v)
	}
	rw.WriteHeader(or(rep.status, http.StatusOK))
	_, _ = rw.Write([]byte(rep.body))
}

func (w *world) set(path string, rep reply) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.replies[path] = rep
}

func (w *world) hitsOf(path string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hits[path]
}

func (w *world) dnsHitsOf(name string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dnsHits[name]
}

// lookupTXT is the fake DNS: unknown names do not exist.
func (w *world) lookupTXT(_ context.Context, name string) ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dnsHits[name]++
	if err := w.txtErr[name]; err != nil {
		return nil, err
	}
	if recs, ok := w.txt[name]; ok {
		return recs, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (w *world) setTXT(name string, recs ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.txt[name] = recs
}

func (w *world) setTXTErr(name string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.txtErr[name] = err
}

func plcPath(did syntax.DID) string { return "/plc/" + string(did) }
func didWebPath(host string) string { return "/host/" + host + "/.well-known/did.json" }
func wellKnownPath(h string) string { return "/host/" + h + "/.well-known/atproto-did" }

// config returns a Config wired to the world, with edit applied.
func (w *world) config(edit func(*Config)) Config {
	cfg := Config{
		PLCURL:        w.srv.URL + "/plc",
		LookupTXT:     w.lookupTXT,
		HostURL:       func(host string) string { return w.srv.URL + "/host/" + host },
		AllowLoopback: true,
	}
	if edit != nil {
		edit(&cfg)
	}
	return cfg
}

func (w *world) resolver(edit func(*Config)) *Resolver {
	w.t.Helper()
	r, err := NewResolver(w.config(edit))
	if err != nil {
		w.t.Fatalf("NewResolver: %v", err)
	}
	return r
}

// publish serves a document for did that claims handle (if not empty).
func (w *world) publish(did syntax.DID, handle string, key keys.PublicKey) {
	w.t.Helper()
	body := string(docJSON(w.t, did, handle, key, "https://pds.example.com"))
	switch did.Method() {
	case "plc":
		w.set(plcPath(did), reply{body: body})
	case "web":
		w.set(didWebPath(did.Identifier()), reply{body: body})
	default:
		w.t.Fatalf("publish: unsupported %s", did)
	}
}

// docJSON builds a DID document in today's atproto form.
func docJSON(t *testing.T, did syntax.DID, handle string, key keys.PublicKey, pds string) []byte {
	t.Helper()
	doc := map[string]any{
		"@context": []string{"https://www.w3.org/ns/did/v1"},
		"id":       string(did),
	}
	if handle != "" {
		doc["alsoKnownAs"] = []string{"at://" + handle}
	}
	if key != nil {
		doc["verificationMethod"] = []any{map[string]any{
			"id": string(did) + "#atproto", "type": "Multikey",
			"controller": string(did), "publicKeyMultibase": key.Multibase(),
		}}
	}
	if pds != "" {
		doc["service"] = []any{map[string]any{
			"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds,
		}}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("marshal doc: %v", err)
	}
	return b
}

func newKey(t *testing.T) keys.PublicKey {
	t.Helper()
	s, err := keys.Generate(keys.K256)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return s.PublicKey()
}

// wantKind fails unless err has the given kind.
func wantKind(t *testing.T, err error, kind rhizome.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want kind %v", kind)
	}
	if got := rhizome.KindOf(err); got != kind {
		t.Fatalf("got kind %v (%v), want %v", got, err, kind)
	}
}

// fakeClock is a settable clock for cache expiry.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// contains reports whether err's message mentions s.
func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }
