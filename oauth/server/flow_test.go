package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestServer_Flow(t *testing.T) {
	p := newPod(t)
	a := newApp(t, p)

	uri, csrf := a.authorize()
	q := a.approve(uri, csrf)
	if q.Get("state") != "st4te" || q.Get("iss") != p.srv.URL || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	tok := a.do("POST", "/oauth/token", a.codeForm(q.Get("code")), "")
	if tok.status != 200 || tok.str("token_type") != "DPoP" || tok.str("sub") != testDID || tok.header.Get("DPoP-Nonce") == "" {
		t.Fatalf("token: %d %s", tok.status, tok.raw)
	}
	if n := tok.body["expires_in"].(float64); n <= 0 || n > 30*60 {
		t.Fatalf("expires_in %v", n)
	}
	access, refresh := tok.str("access_token"), tok.str("refresh_token")

	res := a.do("GET", "/xrpc/test", nil, access)
	if res.status != 200 || res.str("did") != testDID || res.str("scope") != "atproto repo:app.example.todo?action=create" {
		t.Fatalf("resource: %d %s", res.status, res.raw)
	}

	ref := a.do("POST", "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {testClientID}}, "")
	if ref.status != 200 || ref.str("refresh_token") == refresh || ref.str("access_token") == "" {
		t.Fatalf("refresh: %d %s", ref.status, ref.raw)
	}
	access2 := ref.str("access_token")
	if res := a.do("GET", "/xrpc/test", nil, access2); res.status != 200 {
		t.Fatalf("resource after refresh: %d %s", res.status, res.raw)
	}

	rv := a.do("POST", "/oauth/revoke", url.Values{"token": {ref.str("refresh_token")}, "client_id": {testClientID}}, "")
	if rv.status != 200 {
		t.Fatalf("revoke: %d %s", rv.status, rv.raw)
	}
	for _, at := range []string{access, access2} {
		res := a.do("GET", "/xrpc/test", nil, at)
		if res.status != 401 || res.str("error") != "invalid_token" || !strings.Contains(res.header.Get("WWW-Authenticate"), "DPoP") {
			t.Fatalf("resource after revoke: %d %s", res.status, res.raw)
		}
	}
	again := a.do("POST", "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ref.str("refresh_token")}, "client_id": {testClientID}}, "")
	if again.str("error") != "invalid_grant" {
		t.Fatalf("refresh after revoke: %d %s", again.status, again.raw)
	}
}

func TestServer_Deny(t *testing.T) {
	p := newPod(t)
	a := newApp(t, p)
	uri, csrf := a.authorize()
	r := a.browse("POST", "/oauth/authorize/consent", url.Values{"request_uri": {uri}, "csrf": {csrf}, "decision": {"deny"}})
	loc, _ := url.Parse(r.header.Get("Location"))
	if r.status != http.StatusSeeOther || loc.Query().Get("error") != "access_denied" || loc.Query().Get("code") != "" || loc.Query().Get("state") != "st4te" {
		t.Fatalf("deny: %d %s", r.status, r.header.Get("Location"))
	}
}

func TestServer_Pages(t *testing.T) {
	p := newPod(t)
	a := newApp(t, p)
	par := a.par(a.parForm())
	q := url.Values{"client_id": {testClientID}, "request_uri": {par.str("request_uri")}}
	page := a.browse("GET", "/oauth/authorize?"+q.Encode(), nil)
	checks := map[string]bool{
		"X-Frame-Options DENY":   page.header.Get("X-Frame-Options") == "DENY",
		"frame-ancestors 'none'": strings.Contains(page.header.Get("Content-Security-Policy"), "frame-ancestors 'none'"),
		"no external scripts":    !strings.Contains(page.raw, "<script"),
		"label for identifier":   strings.Contains(page.raw, `<label for="identifier">`),
		"app name and domain":    strings.Contains(page.raw, "Todo App") && strings.Contains(page.raw, "app.example.com"),
		"csrf field":             csrfField.MatchString(page.raw),
		"no-store":               page.header.Get("Cache-Control") == "no-store",
	}
	for name, ok := range checks {
		t.Run(name, func(t *testing.T) {
			if !ok {
				t.Fatalf("sign-in page fails %q:\n%v\n%s", name, page.header, page.raw)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		r := a.browse("POST", "/oauth/authorize/sign-in", url.Values{"request_uri": {par.str("request_uri")},
			"csrf": {csrfOf(t, page.raw)}, "identifier": {"alice.test"}, "password": {"wrong"}})
		if r.status != http.StatusUnauthorized || !strings.Contains(r.raw, `role="alert"`) {
			t.Fatalf("wrong password: %d %s", r.status, r.raw)
		}
	})
}

func TestServer_Metadata(t *testing.T) {
	p := newPod(t)
	a := newApp(t, p)
	as := a.send("GET", "/.well-known/oauth-authorization-server", nil, "", "")
	if as.str("issuer") != p.srv.URL || as.body["require_pushed_authorization_requests"] != true ||
		as.str("pushed_authorization_request_endpoint") != p.srv.URL+"/oauth/par" {
		t.Fatalf("AS metadata %s", as.raw)
	}
	pr := a.send("GET", "/.well-known/oauth-protected-resource", nil, "", "")
	if pr.str("resource") != p.srv.URL {
		t.Fatalf("PR metadata %s", pr.raw)
	}
}
