package server

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
)

func TestServer_Attacks(t *testing.T) {
	p := newPod(t)
	a := newApp(t, p)
	tok := a.signIn()
	access := tok.str("access_token")

	t.Run("proof replay", func(t *testing.T) {
		pr := a.proof("GET", "/xrpc/test", access)
		if r := a.send("GET", "/xrpc/test", nil, access, pr); r.status != 200 {
			t.Fatalf("first use: %d %s", r.status, r.raw)
		}
		if r := a.send("GET", "/xrpc/test", nil, access, pr); r.status != 401 || r.str("error") != "invalid_dpop_proof" {
			t.Fatalf("replay: %d %s", r.status, r.raw)
		}
	})
	t.Run("proof for another URL", func(t *testing.T) {
		r := a.send("GET", "/xrpc/test", nil, access, a.proof("GET", "/xrpc/other", access))
		if r.status != 401 || r.str("error") != "invalid_dpop_proof" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("proof for another method", func(t *testing.T) {
		r := a.send("GET", "/xrpc/test", nil, access, a.proof("POST", "/xrpc/test", access))
		if r.status != 401 || r.str("error") != "invalid_dpop_proof" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("stolen token without its key", func(t *testing.T) {
		thief := newApp(t, p)
		r := thief.do("GET", "/xrpc/test", nil, access)
		if r.status != 401 || r.str("error") != "invalid_token" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("bearer scheme", func(t *testing.T) {
		req, _ := http.NewRequest("GET", p.srv.URL+"/xrpc/test", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		if r := a.roundTrip(http.DefaultClient, req); r.status != 401 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}

func TestServer_CodeAttacks(t *testing.T) {
	p := newPod(t)
	cases := []struct {
		name  string
		edit  func(a *app, f url.Values) *app
		error string
	}{
		{"PKCE mismatch", func(a *app, f url.Values) *app { f.Set("code_verifier", strings.Repeat("w", 50)); return a }, "invalid_grant"},
		{"redirect_uri differs", func(a *app, f url.Values) *app { f.Set("redirect_uri", testRedirect+"2"); return a }, "invalid_grant"},
		{"another DPoP key", func(a *app, f url.Values) *app { b := newApp(t, p); b.verifier = a.verifier; return b }, "invalid_dpop_proof"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newApp(t, p)
			uri, csrf := a.authorize()
			f := a.codeForm(a.approve(uri, csrf).Get("code"))
			r := c.edit(a, f).do("POST", "/oauth/token", f, "")
			if r.status == 200 || r.str("error") != c.error {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			// The code is spent: the honest retry fails too.
			if r := a.do("POST", "/oauth/token", a.codeForm(f.Get("code")), ""); r.status == 200 {
				t.Fatalf("code usable after a failed attempt")
			}
		})
	}
	t.Run("code reuse", func(t *testing.T) {
		a := newApp(t, p)
		uri, csrf := a.authorize()
		code := a.approve(uri, csrf).Get("code")
		if r := a.do("POST", "/oauth/token", a.codeForm(code), ""); r.status != 200 {
			t.Fatalf("first: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/oauth/token", a.codeForm(code), ""); r.str("error") != "invalid_grant" {
			t.Fatalf("reuse: %d %s", r.status, r.raw)
		}
	})
}

func TestServer_RefreshReuse(t *testing.T) {
	p := newPod(t)
	a := newApp(t, p)
	tok := a.signIn()
	form := func(rt string) url.Values {
		return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {testClientID}}
	}
	next := a.do("POST", "/oauth/token", form(tok.str("refresh_token")), "")
	if next.status != 200 {
		t.Fatalf("refresh: %d %s", next.status, next.raw)
	}
	if r := a.do("POST", "/oauth/token", form(tok.str("refresh_token")), ""); r.str("error") != "invalid_grant" {
		t.Fatalf("reuse: %d %s", r.status, r.raw)
	}
	if r := a.do("POST", "/oauth/token", form(next.str("refresh_token")), ""); r.str("error") != "invalid_grant" {
		t.Fatalf("current token after reuse: %d %s", r.status, r.raw)
	}
	if r := a.do("GET", "/xrpc/test", nil, next.str("access_token")); r.status != 401 {
		t.Fatalf("access token after reuse: %d %s", r.status, r.raw)
	}
	t.Run("refresh needs the family's key", func(t *testing.T) {
		tok := a.signIn()
		thief := newApp(t, p)
		if r := thief.do("POST", "/oauth/token", form(tok.str("refresh_token")), ""); r.status == 200 {
			t.Fatalf("refresh with another key: %s", r.raw)
		}
		if r := a.do("POST", "/oauth/token", form(tok.str("refresh_token")), ""); r.status != 200 {
			t.Fatalf("the thief's attempt must not burn the token: %d %s", r.status, r.raw)
		}
	})
}

func TestServer_PARAttacks(t *testing.T) {
	p := newPod(t)
	a := newApp(t, p)
	cases := []struct {
		name, key, value, error string
	}{
		{"redirect URI not in metadata", "redirect_uri", "https://evil.example.com/callback", "invalid_request"},
		{"no PKCE", "code_challenge", "", "invalid_request"},
		{"plain PKCE", "code_challenge_method", "plain", "invalid_request"},
		{"scope beyond the client's", "scope", "atproto transition:generic", "invalid_scope"},
		{"scope without atproto", "scope", "repo:app.example.todo", "invalid_scope"},
		{"private client_id", "client_id", "https://10.0.0.1/client-metadata.json", "invalid_client"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := a.parForm()
			f.Set(c.key, c.value)
			if r := a.par(f); r.status != 400 && r.status != 401 || r.str("error") != c.error {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	t.Run("no DPoP proof", func(t *testing.T) {
		if r := a.send("POST", "/oauth/par", a.parForm(), "", ""); r.status == 201 || r.str("error") != "invalid_dpop_proof" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}

func TestServer_CSRF(t *testing.T) {
	p := newPod(t)
	a := newApp(t, p)
	uri, csrf := a.authorize()
	other := newApp(t, p) // another browser: no device cookie of this sign-in
	cases := []struct {
		name    string
		browser *app
		form    url.Values
	}{
		{"missing token", a, url.Values{"request_uri": {uri}, "decision": {"approve"}}},
		{"wrong token", a, url.Values{"request_uri": {uri}, "csrf": {csrf + "x"}, "decision": {"approve"}}},
		{"another browser", other, url.Values{"request_uri": {uri}, "csrf": {csrf}, "decision": {"approve"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.browser.browse("POST", "/oauth/authorize/consent", c.form)
			if r.status != http.StatusForbidden || r.header.Get("Location") != "" {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	if q := a.approve(uri, csrf); q.Get("code") == "" {
		t.Fatal("the genuine form no longer works")
	}
}

func TestMetadataResolver_Guard(t *testing.T) {
	var dialed []string
	r := NewMetadataResolver(ResolverConfig{
		Lookup: func(_ context.Context, host string) ([]netip.Addr, error) {
			if host == "localhost" {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}
			return []netip.Addr{netip.MustParseAddr("10.1.2.3")}, nil
		},
		Dial: func(_ context.Context, _, addr string) (net.Conn, error) {
			dialed = append(dialed, addr)
			return nil, rhizome.E("test dial", rhizome.Forbidden, "the test never connects")
		},
	})
	cases := []struct{ name, id string }{
		{"name resolving to a private address", "https://internal.example.com/client-metadata.json"},
		{"IP literal", "https://169.254.169.254/latest/meta-data"},
		{"plain http", "http://app.example.com/client-metadata.json"},
		{"loopback not allowed", "https://localhost/client-metadata.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := r.ResolveClient(context.Background(), c.id); err == nil || rhizome.NameOf(err) != "invalid_client_metadata" {
				t.Fatalf("resolve %s: %v", c.id, err)
			}
		})
	}
	if len(dialed) != 0 {
		t.Fatalf("dialed %v: the guard must refuse before dialling", dialed)
	}
}

func TestMetadataResolver_Limits(t *testing.T) {
	m := newMetadataHost(t)
	r := m.resolver(ResolverConfig{Timeout: 200 * time.Millisecond})
	ctx := context.Background()
	if c, err := r.ResolveClient(ctx, testClientID); err != nil || c.ClientName != "Todo App" {
		t.Fatalf("happy path: %v", err)
	}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		kind    rhizome.Kind
	}{
		{"oversized", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(strings.Repeat(" ", 100<<10))) }, rhizome.TooLarge},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		}, rhizome.Unavailable},
		{"not found", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, rhizome.Invalid},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://other.example.com/x", http.StatusFound)
		}, rhizome.Invalid},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m.set(c.handler)
			id := testClientID + "?v=" + string(rune('a'+i)) // uncached
			start := time.Now()
			_, err := r.ResolveClient(ctx, id)
			if err == nil || rhizome.KindOf(err) != c.kind {
				t.Fatalf("got %v (kind %v), want kind %v", err, rhizome.KindOf(err), c.kind)
			}
			if time.Since(start) > time.Second {
				t.Fatalf("took %v", time.Since(start))
			}
		})
	}
}
