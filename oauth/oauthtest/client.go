package oauthtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/rhizome-pds/rhizome/keys"
)

// RedirectURI is where the test client asks to be sent back; nothing
// listens there: the client reads the code from the redirect itself.
const RedirectURI = "http://127.0.0.1/callback"

// App is a public loopback client with one DPoP key.
type App struct {
	Base     string // the pod's origin, "http://127.0.0.1:2583"
	ClientID string
	Key      keys.Signer
	HTTP     *http.Client

	mu    sync.Mutex
	nonce string
}

// New returns a client of the pod at base asking for scope.
func New(base, scope string) (*App, error) {
	k, err := keys.Generate(keys.P256)
	if err != nil {
		return nil, err
	}
	q := url.Values{"redirect_uri": {RedirectURI}, "scope": {scope}}
	return &App{Base: strings.TrimRight(base, "/"), ClientID: "http://localhost?" + q.Encode(), Key: k, HTTP: &http.Client{}}, nil
}

// Session is a granted session: DPoP-bound tokens of one App.
type Session struct {
	app             *App
	Access, Refresh string
	Scope, Sub      string
	Type            string
	ExpiresIn       int
}

// Reply is a response read whole.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body's field name as a string ("" if absent).
func (r Reply) Str(name string) string {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	s, _ := m[name].(string)
	return s
}

func (r Reply) String() string { return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(r.Body)) }

// SignIn runs the whole flow for the account identifier/password with
// scope, approving on the consent page.
func (a *App) SignIn(ctx context.Context, identifier, password, scope string) (*Session, error) {
	verifier := randomString()
	uri, err := a.par(ctx, scope, verifier)
	if err != nil {
		return nil, err
	}
	code, err := a.browse(ctx, uri, identifier, password)
	if err != nil {
		return nil, err
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {a.ClientID},
		"redirect_uri": {RedirectURI}, "code_verifier": {verifier}}
	return a.token(ctx, form)
}

func (a *App) par(ctx context.Context, scope, verifier string) (string, error) {
	sum := sha256.Sum256([]byte(verifier))
	form := url.Values{"client_id": {a.ClientID}, "response_type": {"code"}, "redirect_uri": {RedirectURI},
		"scope": {scope}, "state": {randomString()}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	r, err := a.post(ctx, "/oauth/par", form, "")
	if err != nil {
		return "", err
	}
	if r.Status != http.StatusCreated {
		return "", fmt.Errorf("par: %s", r)
	}
	return r.Str("request_uri"), nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// browse signs in and approves as a browser would, returning the code.
func (a *App) browse(ctx context.Context, requestURI, identifier, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	b := &browser{base: a.Base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	page, err := b.do(ctx, "GET", "/oauth/authorize?"+url.Values{"client_id": {a.ClientID}, "request_uri": {requestURI}}.Encode(), nil)
	if err != nil {
		return "", err
	}
	signIn, err := b.submit(ctx, page, "/oauth/authorize/sign-in", url.Values{"request_uri": {requestURI}, "identifier": {identifier}, "password": {password}})
	if err != nil {
		return "", err
	}
	consent, err := b.do(ctx, "GET", signIn.Header.Get("Location"), nil)
	if err != nil {
		return "", err
	}
	done, err := b.submit(ctx, consent, "/oauth/authorize/consent", url.Values{"request_uri": {requestURI}, "decision": {"approve"}})
	if err != nil {
		return "", err
	}
	loc, err := url.Parse(done.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return "", fmt.Errorf("consent did not redirect with a code: %s (Location %q)", done, done.Header.Get("Location"))
	}
	return loc.Query().Get("code"), nil
}

type browser struct {
	base string
	c    *http.Client
}

// submit posts form with the CSRF token of page, expecting a redirect.
func (b *browser) submit(ctx context.Context, page Reply, path string, form url.Values) (Reply, error) {
	m := csrfField.FindSubmatch(page.Body)
	if page.Status != http.StatusOK || m == nil {
		return Reply{}, fmt.Errorf("before %s: page without a form: %s", path, page)
	}
	form.Set("csrf", string(m[1]))
	r, err := b.do(ctx, "POST", path, form)
	if err == nil && r.Status != http.StatusSeeOther {
		err = fmt.Errorf("%s: %s", path, r)
	}
	return r, err
}

func (b *browser) do(ctx context.Context, method, path string, form url.Values) (Reply, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		return Reply{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return readReply(b.c.Do(req))
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
