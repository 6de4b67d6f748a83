package grants

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/oauth/oauthtest"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// createTodo writes one record with the session; it reports the reply.
func createTodo(t *testing.T, s *oauthtest.Session, did string) oauthtest.Reply {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"repo": did, "collection": "app.example.todo", "record": record("x")})
	r, err := s.Do(context.Background(), "POST", xrpcPath("com.atproto.repo.createRecord", nil), "application/json", b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// requireRevoked checks that both tokens of a revoked session stopped
// working, and how long after the revocation the refusal came.
func requireRevoked(t *testing.T, s *oauthtest.Session, did string, revokedAt time.Time) {
	t.Helper()
	r := createTodo(t, s, did)
	if took := time.Since(revokedAt); r.Status != http.StatusUnauthorized || !strings.Contains(r.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("after revocation: %s (WWW-Authenticate %q), want 401 invalid_token", r, r.Header.Get("WWW-Authenticate"))
	} else if took > time.Second {
		t.Errorf("refusal came %v after the revocation", took)
	}
	if _, err := s.RefreshTokens(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("refresh after revocation: %v, want invalid_grant", err)
	}
}

func TestGrants_RevokeWithCLI(t *testing.T) {
	p := newPod(t)
	c := podtest.NewClient(p)
	defer c.Close()
	a := createAccount(t, c, "carol")
	s := grant(t, p, a, narrowScope)
	if r := createTodo(t, s, a.did); r.Status != http.StatusOK {
		t.Fatalf("before revocation: %s", r)
	}
	env := []string{"RHIZOME_URL=http://" + p.Addr, "RHIZOME_HANDLE=" + a.handle, "RHIZOME_ACCOUNT_PASSWORD=" + a.password}
	ctx := context.Background()
	res, err := podtest.Run(ctx, podtest.Binary(t), env, "grants", "--json", "list")
	if err != nil || res.Code != 0 {
		t.Fatalf("grants list: %v %+v", err, res)
	}
	var gs []struct{ ID, ClientID, Scope string }
	if err := json.Unmarshal([]byte(res.Stdout), &gs); err != nil || len(gs) != 1 || gs[0].ClientID != s.ClientID() || gs[0].Scope != narrowScope {
		t.Fatalf("grants list: %v %s, want one grant of %s", err, res.Stdout, s.ClientID())
	}
	if res, err = podtest.Run(ctx, podtest.Binary(t), env, "grants", "revoke", "no-such-grant"); err != nil || res.Code == 0 {
		t.Errorf("revoking an unknown grant succeeded: %+v", res)
	}
	start := time.Now()
	if res, err = podtest.Run(ctx, podtest.Binary(t), env, "grants", "revoke", gs[0].ID); err != nil || res.Code != 0 {
		t.Fatalf("grants revoke: %v %+v", err, res)
	}
	requireRevoked(t, s, a.did, start)
	res, _ = podtest.Run(ctx, podtest.Binary(t), env, "grants", "list")
	if !strings.Contains(res.Stdout, "No app can use your account") {
		t.Errorf("grants list after revocation: %q", res.Stdout)
	}
}

var (
	csrfField    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	grantIDField = regexp.MustCompile(`name="kind" value="grant"><input type="hidden" name="id" value="([^"]+)"`)
)

// page is a browser without JavaScript on the account page.
type page struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (b *page) do(method, path string, form url.Values) (int, string, string) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(form.Encode()))
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	var sb strings.Builder
	_, _ = io.Copy(&sb, r.Body)
	return r.StatusCode, sb.String(), r.Header.Get("Location")
}

func match(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("page lacks %s:\n%s", re, body)
	}
	return m[1]
}

func TestGrants_RevokeOnAccountPage(t *testing.T) {
	p := newPod(t)
	c := podtest.NewClient(p)
	defer c.Close()
	a := createAccount(t, c, "dave")
	s := grant(t, p, a, narrowScope)
	jar, _ := cookiejar.New(nil)
	b := &page{t: t, base: "http://" + p.Addr, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

	_, body, _ := b.do("GET", "/account", nil)
	form := url.Values{"csrf": {match(t, csrfField, body)}, "identifier": {a.handle}, "password": {"wrong"}}
	if st, _, _ := b.do("POST", "/account/sign-in", form); st != http.StatusUnauthorized {
		t.Errorf("sign-in with a wrong password: %d", st)
	}
	form.Set("password", a.password)
	if st, _, loc := b.do("POST", "/account/sign-in", form); st != http.StatusSeeOther || loc != "/account" {
		t.Fatalf("sign-in: %d %q", st, loc)
	}
	st, body, _ := b.do("GET", "/account", nil)
	if st != http.StatusOK || !strings.Contains(body, "Create records in app.example.todo") || !strings.Contains(body, a.did) {
		t.Fatalf("account page: %d\n%s", st, body)
	}
	id := match(t, grantIDField, body)
	revoke := url.Values{"kind": {"grant"}, "id": {id}, "csrf": {"forged"}}
	if st, _, _ := b.do("POST", "/account/revoke", revoke); st != http.StatusForbidden {
		t.Errorf("revoke with a forged CSRF token: %d, want 403", st)
	}
	if r := createTodo(t, s, a.did); r.Status != http.StatusOK {
		t.Fatalf("after the refused revocation the grant should still work: %s", r)
	}
	revoke.Set("csrf", match(t, csrfField, body))
	start := time.Now()
	if st, _, _ := b.do("POST", "/account/revoke", revoke); st != http.StatusSeeOther {
		t.Fatalf("revoke: %d", st)
	}
	requireRevoked(t, s, a.did, start)
	if _, body, _ = b.do("GET", "/account", nil); !strings.Contains(body, "No app can use your account") {
		t.Errorf("account page after revocation still lists a grant:\n%s", body)
	}
}

// TestGrants_SurviveRestart shows grants live in the pod's store: a token
// keeps working across a restart, and a revocation made after it bites.
func TestGrants_SurviveRestart(t *testing.T) {
	dir, addr := t.TempDir(), podtest.FreeAddr(t)
	p := podtest.Start(t, podtest.Binary(t), dir, addr)
	c := podtest.NewClient(p)
	a := createAccount(t, c, "erin")
	s := grant(t, p, a, narrowScope)
	p.Stop()
	p = podtest.Start(t, podtest.Binary(t), dir, addr)
	defer p.Kill()
	if r := createTodo(t, s, a.did); r.Status != http.StatusOK {
		t.Fatalf("after restart: %s", r)
	}
	s2, err := s.RefreshTokens(context.Background())
	if err != nil {
		t.Fatalf("refresh after restart: %v", err)
	}
	if _, err := s.RefreshTokens(context.Background()); err == nil {
		t.Errorf("the rotated-out refresh token worked again")
	}
	start := time.Now()
	if r, err := s2.Revoke(context.Background()); err != nil || r.Status != http.StatusOK {
		t.Fatalf("revoke: %v %s", err, r)
	}
	requireRevoked(t, s2, a.did, start)
}

// TestGrants_GoneWithTheAccount: deleting an account deletes its grants,
// so an app's tokens are refused as unknown, not served for a ghost.
func TestGrants_GoneWithTheAccount(t *testing.T) {
	p := newPod(t)
	c := podtest.NewClient(p)
	defer c.Close()
	a := createAccount(t, c, "gina")
	s := grant(t, p, a, narrowScope)
	if r := createTodo(t, s, a.did); r.Status != http.StatusOK {
		t.Fatalf("before deletion: %s", r)
	}
	start := time.Now()
	c.MustCall(t, "com.atproto.server.deleteAccount", "", map[string]string{"did": a.did, "password": a.password, "token": "unused"}, nil)
	requireRevoked(t, s, a.did, start)
}
