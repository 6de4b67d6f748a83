package server

import (
	"context"
	"testing"
)

func TestClient_Validate(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *Client)
		ok   bool
	}{
		{"valid", func(*Client) {}, true},
		{"client_id differs", func(c *Client) { c.ClientID = "https://other.example.com/m.json" }, false},
		{"no dpop", func(c *Client) { c.DPoPBound = false }, false},
		{"implicit grant", func(c *Client) { c.GrantTypes = append(c.GrantTypes, "implicit") }, false},
		{"no code response", func(c *Client) { c.ResponseTypes = []string{"token"} }, false},
		{"client secret", func(c *Client) { c.TokenEndpointAuthMethod = "client_secret_basic" }, false},
		{"no atproto scope", func(c *Client) { c.Scope = "transition:generic" }, false},
		{"http redirect for web", func(c *Client) { c.RedirectURIs = []string{"http://127.0.0.1/cb"} }, false},
		{"loopback redirect for native", func(c *Client) {
			c.ApplicationType, c.RedirectURIs = "native", []string{"http://127.0.0.1/cb"}
		}, true},
		{"reversed-domain scheme for native", func(c *Client) {
			c.ApplicationType, c.RedirectURIs = "native", []string{"com.example.app:/cb"}
		}, true},
		{"foreign scheme for native", func(c *Client) {
			c.ApplicationType, c.RedirectURIs = "native", []string{"com.evil:/cb"}
		}, false},
		{"http logo", func(c *Client) { c.LogoURI = "http://app.example.com/logo.png" }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := &Client{ClientID: testClientID, RedirectURIs: []string{testRedirect},
				GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
				Scope: "atproto", DPoPBound: true, TokenEndpointAuthMethod: "none"}
			if c.name == "reversed-domain scheme for native" || c.name == "foreign scheme for native" {
				cl.ClientID = "https://app.example.com/client-metadata.json"
				cl.RedirectURIs = nil
			}
			c.edit(cl)
			if err := cl.validate(testClientID); (err == nil) != c.ok {
				t.Fatalf("validate: %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func TestClient_AllowsRedirect(t *testing.T) {
	c := &Client{RedirectURIs: []string{"https://app.example.com/cb", "http://127.0.0.1/cb"}}
	for uri, want := range map[string]bool{
		"https://app.example.com/cb":  true,
		"https://app.example.com/cb2": false,
		"http://127.0.0.1:4321/cb":    true, // any port on loopback (RFC 8252)
		"http://127.0.0.1:4321/other": false,
		"https://evil.example.com/cb": false,
	} {
		if got := c.AllowsRedirect(uri); got != want {
			t.Errorf("AllowsRedirect(%q) = %v, want %v", uri, got, want)
		}
	}
}

func TestMetadataResolver_Localhost(t *testing.T) {
	r := NewMetadataResolver(ResolverConfig{})
	ctx := context.Background()
	c, err := r.ResolveClient(ctx, "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb&scope=atproto+transition%3Ageneric")
	if err != nil || !c.Localhost || c.RedirectURIs[0] != "http://127.0.0.1:8080/cb" || !c.Public() {
		t.Fatalf("localhost client: %+v, %v", c, err)
	}
	for _, bad := range []string{"http://localhost:8080", "http://localhost/path", "http://localhost?redirect_uri=https%3A%2F%2Fevil.example.com%2F"} {
		if _, err := r.ResolveClient(ctx, bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
