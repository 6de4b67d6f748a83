package server

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/identity"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/oauth/dpop"
)

const (
	testClientID = "https://app.example.com/client-metadata.json"
	testRedirect = "https://app.example.com/callback"
	testDID      = "did:plc:alice234567abcdefghijklm"
)

type fakeAccounts struct{}

func (fakeAccounts) Authenticate(_ context.Context, id, pw string) (Account, error) {
	if (id == "alice.test" || id == testDID) && pw == "correct horse" {
		return Account{DID: testDID, Handle: "alice.test"}, nil
	}
	return Account{}, rhizome.E("authenticate", rhizome.Unauthorized, "wrong credentials")
}

func testMetadata() map[string]any {
	return map[string]any{
		"client_id": testClientID, "client_name": "Todo App", "application_type": "web",
		"logo_uri": "https://app.example.com/logo.png", "client_uri": "https://app.example.com",
		"redirect_uris": []string{testRedirect}, "grant_types": []string{"authorization_code", "refresh_token"},
		"response_types": []string{"code"}, "scope": "atproto repo:app.example.todo?action=create blob:image/*",
		"dpop_bound_access_tokens": true, "token_endpoint_auth_method": "none",
	}
}

// metadataHost serves client metadata over TLS on loopback, standing in
// for app.example.com.
type metadataHost struct {
	srv     *httptest.Server
	mu      sync.Mutex
	handler http.HandlerFunc
	dialed  []string
}

func newMetadataHost(t *testing.T) *metadataHost {
	m := &metadataHost{}
	m.handler = func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(testMetadata()) }
	m.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		h := m.handler
		m.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *metadataHost) set(h http.HandlerFunc) { m.mu.Lock(); m.handler = h; m.mu.Unlock() }

// resolver resolves every host name to 127.0.0.1 (unless cfg.Lookup
// says otherwise) and dials the metadata
// host through the guard with its loopback override, recording addresses.
func (m *metadataHost) resolver(cfg ResolverConfig) *MetadataResolver {
	pool := x509.NewCertPool()
	pool.AddCert(m.srv.Certificate())
	_, port, _ := net.SplitHostPort(m.srv.Listener.Addr().String())
	guard := identity.GuardedDialer(true, nil)
	cfg.AllowLoopback = true
	cfg.TLS = &tls.Config{RootCAs: pool}
	if cfg.Lookup == nil {
		cfg.Lookup = func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
	}
	cfg.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		m.mu.Lock()
		m.dialed = append(m.dialed, addr)
		m.mu.Unlock()
		return guard.DialContext(ctx, network, net.JoinHostPort(host, port))
	}
	return NewMetadataResolver(cfg)
}

// pod is an authorization server on loopback with a resource at /xrpc/test.
type pod struct {
	t     *testing.T
	srv   *httptest.Server
	as    *Server
	store *MemoryStore
	meta  *metadataHost
}

func newPod(t *testing.T) *pod { return newPodWith(t, ResolverConfig{}) }

// newPodWith is newPod with the metadata resolver configured by rc.
func newPodWith(t *testing.T, rc ResolverConfig) *pod {
	p := &pod{t: t, store: NewMemoryStore(), meta: newMetadataHost(t)}
	var h http.Handler
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(p.srv.Close)
	nonces, err := dpop.NewNonces(dpop.NonceConfig{Secret: []byte(strings.Repeat("n", 32))})
	must(t, err)
	v, err := dpop.NewVerifier(dpop.Config{Nonces: nonces, Replay: dpop.NewMemoryReplay(0, nil)})
	must(t, err)
	p.as, err = New(Config{Issuer: p.srv.URL, Secret: []byte(strings.Repeat("s", 32)), Accounts: fakeAccounts{},
		Store: p.store, Clients: p.meta.resolver(rc), DPoP: v, Nonces: nonces})
	must(t, err)
	mux := http.NewServeMux()
	mux.Handle("/", p.as)
	mux.HandleFunc("/xrpc/test", func(w http.ResponseWriter, r *http.Request) {
		g, err := p.as.Authenticate(r)
		if err != nil {
			p.as.WriteAuthError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"did": g.DID, "scope": g.Scopes.String(), "client": g.ClientID})
	})
	h = mux
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// app is an OAuth client: a DPoP key, the latest nonce, a PKCE verifier,
// and a browser with cookies that does not follow redirects.
type app struct {
	t        *testing.T
	p        *pod
	key      keys.Signer
	nonce    string
	verifier string
	browser  *http.Client
	// authn, if set, adds client authentication (a confidential client's
	// assertion) to the PAR and code exchange forms.
	authn func(url.Values)
}

func newApp(t *testing.T, p *pod) *app {
	k, err := keys.Generate(keys.P256)
	must(t, err)
	jar, _ := cookiejar.New(nil)
	return &app{t: t, p: p, key: k, verifier: strings.Repeat("v", 50), browser: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (a *app) challenge() string {
	sum := sha256.Sum256([]byte(a.verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r reply) str(k string) string { s, _ := r.body[k].(string); return s }

// proof signs a DPoP proof for method and path on the pod.
func (a *app) proof(method, path, token string) string {
	pr, err := dpop.NewProof(a.key, dpop.ProofClaims{Method: method, URL: a.p.srv.URL + path, Nonce: a.nonce, AccessToken: token})
	must(a.t, err)
	return pr
}

// do sends a request with a fresh proof, retrying once on use_dpop_nonce.
func (a *app) do(method, path string, form url.Values, token string) reply {
	for try := 0; ; try++ {
		r := a.send(method, path, form, token, a.proof(method, path, token))
		if n := r.header.Get("DPoP-Nonce"); n != "" {
			a.nonce = n
		}
		if try == 0 && r.str("error") == dpop.CodeUseNonce {
			continue
		}
		return r
	}
}

func (a *app) send(method, path string, form url.Values, token, proof string) reply {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.p.srv.URL+path, body)
	must(a.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	if token != "" {
		req.Header.Set("Authorization", "DPoP "+token)
	}
	return a.roundTrip(http.DefaultClient, req)
}

func (a *app) roundTrip(c *http.Client, req *http.Request) reply {
	resp, err := c.Do(req)
	must(a.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r
}

func (a *app) parForm() url.Values {
	return a.authenticated(url.Values{"client_id": {testClientID}, "response_type": {"code"}, "redirect_uri": {testRedirect},
		"scope": {"atproto repo:app.example.todo?action=create"}, "state": {"st4te"},
		"code_challenge": {a.challenge()}, "code_challenge_method": {"S256"}})
}

// authenticated adds the app's client authentication, if any, to f.
func (a *app) authenticated(f url.Values) url.Values {
	if a.authn != nil {
		a.authn(f)
	}
	return f
}

func (a *app) par(form url.Values) reply { return a.do("POST", "/oauth/par", form, "") }

// browse sends a browser request to the pod.
func (a *app) browse(method, path string, form url.Values) reply {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.p.srv.URL+path, body)
	must(a.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return a.roundTrip(a.browser, req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%s", page)
	}
	return m[1]
}

// authorize drives the browser from the PAR to the consent page, returning
// the request_uri and the consent page's CSRF token.
func (a *app) authorize() (requestURI, consentCSRF string) {
	t := a.t
	par := a.par(a.parForm())
	if par.status != http.StatusCreated {
		t.Fatalf("par: %d %s", par.status, par.raw)
	}
	requestURI = par.str("request_uri")
	q := url.Values{"client_id": {testClientID}, "request_uri": {requestURI}}
	page := a.browse("GET", "/oauth/authorize?"+q.Encode(), nil)
	if page.status != 200 || !strings.Contains(page.raw, `<label for="password">`) {
		t.Fatalf("sign-in page: %d %s", page.status, page.raw)
	}
	signIn := a.browse("POST", "/oauth/authorize/sign-in", url.Values{"request_uri": {requestURI},
		"csrf": {csrfOf(t, page.raw)}, "identifier": {"alice.test"}, "password": {"correct horse"}})
	if signIn.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", signIn.status, signIn.raw)
	}
	consent := a.browse("GET", signIn.header.Get("Location"), nil)
	if consent.status != 200 || !strings.Contains(consent.raw, "Create records in app.example.todo") {
		t.Fatalf("consent page: %d %s", consent.status, consent.raw)
	}
	return requestURI, csrfOf(t, consent.raw)
}

// approve approves and returns the redirect's query.
func (a *app) approve(requestURI, csrf string) url.Values {
	r := a.browse("POST", "/oauth/authorize/consent", url.Values{"request_uri": {requestURI}, "csrf": {csrf}, "decision": {"approve"}})
	if r.status != http.StatusSeeOther {
		a.t.Fatalf("consent: %d %s", r.status, r.raw)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	must(a.t, err)
	if !strings.HasPrefix(loc.String(), testRedirect+"?") {
		a.t.Fatalf("redirected to %s", loc)
	}
	return loc.Query()
}

func (a *app) codeForm(code string) url.Values {
	return a.authenticated(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {testClientID},
		"redirect_uri": {testRedirect}, "code_verifier": {a.verifier}})
}

// signIn runs the whole browser flow and the code exchange.
func (a *app) signIn() reply {
	uri, csrf := a.authorize()
	q := a.approve(uri, csrf)
	tok := a.do("POST", "/oauth/token", a.codeForm(q.Get("code")), "")
	if tok.status != 200 {
		a.t.Fatalf("token: %d %s", tok.status, tok.raw)
	}
	return tok
}
