package server

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/scope"
)

// Client is a validated client metadata document (RFC 7591 fields, as the
// AT Protocol OAuth profile restricts them).
type Client struct {
	ClientID                string   `json:"client_id"`
	ApplicationType         string   `json:"application_type,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	TOSURI                  string   `json:"tos_uri,omitempty"`
	PolicyURI               string   `json:"policy_uri,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	Scope                   string   `json:"scope"`
	DPoPBound               bool     `json:"dpop_bound_access_tokens"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	TokenEndpointAuthAlg    string   `json:"token_endpoint_auth_signing_alg,omitempty"`
	JWKSURI                 string   `json:"jwks_uri,omitempty"`
	JWKS                    *JWKS    `json:"jwks,omitempty"`

	// Keys are the usable authentication keys of a confidential client,
	// from JWKS or the document at JWKSURI (see [JWKS]); the resolver sets
	// them.
	Keys []ClientKey `json:"-"`

	// Localhost is set for the profile's http://localhost development
	// clients, whose metadata comes from the client_id itself.
	Localhost bool `json:"-"`
	// Scopes is Scope parsed, what it cannot parse left out.
	Scopes *scope.Set `json:"-"`
}

// ClientResolver finds a client's metadata from its client_id.
type ClientResolver interface {
	ResolveClient(ctx context.Context, clientID string) (*Client, error)
}

// Domain is the host of the client_id, shown on the consent page.
func (c *Client) Domain() string {
	u, err := url.Parse(c.ClientID)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// Public reports whether the client authenticates with "none".
func (c *Client) Public() bool { return c.TokenEndpointAuthMethod == "none" }

// AllowsRedirect reports whether uri is one of the client's redirect
// URIs. Loopback IP redirects match on any port (RFC 8252 §7.3).
func (c *Client) AllowsRedirect(uri string) bool {
	if slices.Contains(c.RedirectURIs, uri) {
		return true
	}
	got, err := url.Parse(uri)
	if err != nil || got.Scheme != "http" || !isLoopbackIP(got.Hostname()) {
		return false
	}
	for _, r := range c.RedirectURIs {
		want, err := url.Parse(r)
		if err == nil && want.Scheme == "http" && want.Hostname() == got.Hostname() &&
			want.Path == got.Path && want.RawQuery == got.RawQuery {
			return true
		}
	}
	return false
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func invalidClient(format string, args ...any) error {
	return rhizome.Errorf("resolve oauth client", rhizome.Invalid, format, args...).Named("invalid_client_metadata")
}

// validate checks a metadata document fetched for clientID.
func (c *Client) validate(clientID string) error {
	if c.ClientID != clientID {
		return invalidClient("client_id %q differs from the URL it was fetched from", clip(c.ClientID))
	}
	if c.ApplicationType == "" {
		c.ApplicationType = "web"
	}
	if c.ApplicationType != "web" && c.ApplicationType != "native" {
		return invalidClient("application_type %q", clip(c.ApplicationType))
	}
	for _, check := range []func() error{c.checkGrants, c.checkAuth, c.checkScope, c.checkRedirects, c.checkURIs} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) checkGrants() error {
	if !slices.Contains(c.GrantTypes, "authorization_code") {
		return invalidClient("grant_types must include authorization_code")
	}
	for _, g := range c.GrantTypes {
		if g != "authorization_code" && g != "refresh_token" {
			return invalidClient("grant type %q is not allowed", clip(g))
		}
	}
	if !slices.Contains(c.ResponseTypes, "code") {
		return invalidClient("response_types must include code")
	}
	if !c.DPoPBound {
		return invalidClient("dpop_bound_access_tokens must be true")
	}
	return nil
}

func (c *Client) checkAuth() error {
	switch c.TokenEndpointAuthMethod {
	case "none":
		if c.TokenEndpointAuthAlg != "" {
			return invalidClient("token_endpoint_auth_signing_alg with method none")
		}
		return nil
	case "private_key_jwt":
		return c.checkConfidential()
	}
	return invalidClient("token_endpoint_auth_method %q: want none or private_key_jwt", clip(c.TokenEndpointAuthMethod))
}

func (c *Client) checkScope() error {
	c.Scopes, _ = scope.ParseSetLax(c.Scope)
	if !c.Scopes.Has(scope.Atproto) {
		return invalidClient("scope must include atproto")
	}
	return nil
}

func (c *Client) checkRedirects() error {
	if len(c.RedirectURIs) == 0 {
		return invalidClient("no redirect_uris")
	}
	for _, r := range c.RedirectURIs {
		if err := c.checkRedirect(r); err != nil {
			return err
		}
	}
	return nil
}

// checkRedirect applies the profile's rules: https for everyone; for
// native apps also http on a loopback IP and a private-use scheme that is
// the client_id's host reversed (com.example.app:/callback).
func (c *Client) checkRedirect(r string) error {
	u, err := url.Parse(r)
	if err != nil || u.Fragment != "" || u.Scheme == "" {
		return invalidClient("redirect_uri %q is not a URL without fragment", clip(r))
	}
	switch {
	case u.Scheme == "https" && u.Host != "":
		return nil
	case u.Scheme == "http" && isLoopbackIP(u.Hostname()) && c.ApplicationType == "native":
		return nil
	case c.ApplicationType == "native" && u.Scheme == reverseHost(c.Domain()) && strings.HasPrefix(u.Opaque+u.Path, "/") && u.Host == "":
		return nil
	}
	return invalidClient("redirect_uri %q is not allowed for a %s client", clip(r), c.ApplicationType)
}

func reverseHost(h string) string {
	parts := strings.Split(h, ".")
	slices.Reverse(parts)
	return strings.Join(parts, ".")
}

func (c *Client) checkURIs() error {
	for _, u := range []string{c.LogoURI, c.ClientURI, c.TOSURI, c.PolicyURI} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || p.Scheme != "https" || p.Host == "" {
			return invalidClient("%q is not an https URL", clip(u))
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
