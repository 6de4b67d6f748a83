package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/identity"
)

// Defaults of ResolverConfig.
const (
	DefaultMetadataMax     = 64 << 10
	DefaultMetadataTimeout = 5 * time.Second
	DefaultMetadataTTL     = 10 * time.Minute
	maxCachedClients       = 4096
)

// ResolverConfig configures a [MetadataResolver]. The zero value fetches
// from public addresses only, with the defaults above.
type ResolverConfig struct {
	MaxBytes int64         // largest metadata document; 0 means DefaultMetadataMax
	Timeout  time.Duration // for the whole fetch; 0 means DefaultMetadataTimeout
	TTL      time.Duration // how long a document is cached; 0 means DefaultMetadataTTL
	// Lookup resolves a host name; nil means net.DefaultResolver.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// Dial connects to an address already checked; nil means
	// identity.GuardedDialer, which checks again.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// AllowLoopback lets the guard pass loopback addresses: for tests only.
	AllowLoopback bool
	// TLS is the TLS configuration of the fetches (tests set RootCAs).
	TLS *tls.Config
	Now func() time.Time
}

// MetadataResolver fetches client metadata documents from their
// client_id URLs, validates and caches them. Every address is checked
// before a connection is made: private, loopback and link-local targets
// are refused (see identity.IsPublicAddr), whatever the name resolves to.
type MetadataResolver struct {
	cfg    ResolverConfig
	client *http.Client
	mu     sync.Mutex
	cache  map[string]cachedClient
}

type cachedClient struct {
	c   *Client
	exp time.Time
}

// NewMetadataResolver returns a resolver.
func NewMetadataResolver(cfg ResolverConfig) *MetadataResolver {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMetadataMax
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultMetadataTimeout
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultMetadataTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lookup == nil {
		cfg.Lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if cfg.Dial == nil {
		cfg.Dial = identity.GuardedDialer(cfg.AllowLoopback, nil).DialContext
	}
	r := &MetadataResolver{cfg: cfg, cache: map[string]cachedClient{}}
	r.client = r.newHTTPClient()
	return r
}

func (r *MetadataResolver) newHTTPClient() *http.Client {
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            r.dial,
		TLSClientConfig:        r.cfg.TLS,
		TLSHandshakeTimeout:    r.cfg.Timeout,
		ResponseHeaderTimeout:  r.cfg.Timeout,
		MaxResponseHeaderBytes: 16 << 10,
		DisableKeepAlives:      true,
	}
	return &http.Client{Transport: tr, Timeout: r.cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// dial resolves the host, refuses any non-public address before dialling,
// and connects to the checked address itself, so the name cannot resolve
// differently in between.
func (r *MetadataResolver) dial(ctx context.Context, network, hostport string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	addrs, err := r.cfg.Lookup(ctx, host)
	if err != nil || len(addrs) == 0 {
		return nil, rhizome.Errorf("dial client host", rhizome.Unavailable, "resolve %s: %v", host, err)
	}
	for _, a := range addrs {
		if !identity.IsPublicAddr(a) && !(r.cfg.AllowLoopback && a.Unmap().IsLoopback()) {
			return nil, rhizome.Errorf("dial client host", rhizome.Forbidden, "%s resolves to %s, which is not public", host, a)
		}
	}
	return r.cfg.Dial(ctx, network, net.JoinHostPort(addrs[0].Unmap().String(), port))
}

// ResolveClient returns the validated metadata of clientID.
func (r *MetadataResolver) ResolveClient(ctx context.Context, clientID string) (*Client, error) {
	if strings.HasPrefix(clientID, "http://localhost") {
		return localhostClient(clientID)
	}
	if c := r.cached(clientID); c != nil {
		return c, nil
	}
	u, err := checkClientID(clientID)
	if err != nil {
		return nil, err
	}
	var c Client
	if err := r.get(ctx, "fetch client metadata", u, &c); err != nil {
		return nil, err
	}
	if err := c.validate(clientID); err != nil {
		return nil, err
	}
	if err := r.loadKeys(ctx, &c); err != nil {
		return nil, err
	}
	r.remember(clientID, &c)
	return &c, nil
}

// checkClientID accepts an https URL naming a host (not an IP address),
// without credentials or fragment.
func checkClientID(id string) (*url.URL, error) {
	u, err := url.Parse(id)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "":
		return nil, invalidClient("client_id %q is not an https URL", clip(id))
	case u.User != nil || u.Fragment != "":
		return nil, invalidClient("client_id %q has credentials or a fragment", clip(id))
	case net.ParseIP(u.Hostname()) != nil:
		return nil, invalidClient("client_id %q names an IP address", clip(id))
	}
	return u, nil
}

// get fetches the JSON document at u into v: guarded, without
// redirects, at most MaxBytes, within Timeout.
func (r *MetadataResolver) get(ctx context.Context, op string, u *url.URL, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return rhizome.E(op, rhizome.Invalid, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		if rhizome.Is(err, rhizome.Forbidden) {
			return invalidClient("%v", err)
		}
		return rhizome.E(op, rhizome.Unavailable, err).Named("invalid_client_metadata")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return invalidClient("%s answered %s", u.Host, resp.Status)
	}
	return r.decode(op, resp.Body, v)
}

func (r *MetadataResolver) decode(op string, body io.Reader, v any) error {
	b, err := io.ReadAll(io.LimitReader(body, r.cfg.MaxBytes+1))
	switch {
	case err != nil:
		return rhizome.E(op, rhizome.Unavailable, err).Named("invalid_client_metadata")
	case int64(len(b)) > r.cfg.MaxBytes:
		return rhizome.Errorf(op, rhizome.TooLarge, "document over %d bytes", r.cfg.MaxBytes).Named("invalid_client_metadata")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return invalidClient("document is not JSON: %v", err)
	}
	return nil
}

func (r *MetadataResolver) cached(id string) *Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.cache[id]
	if !ok || r.cfg.Now().After(e.exp) {
		return nil
	}
	return e.c
}

func (r *MetadataResolver) remember(id string, c *Client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.cache) >= maxCachedClients {
		clear(r.cache)
	}
	r.cache[id] = cachedClient{c: c, exp: r.cfg.Now().Add(r.cfg.TTL)}
}

// localhostClient derives the metadata of a development client,
// http://localhost with optional redirect_uri and scope parameters.
func localhostClient(id string) (*Client, error) {
	u, err := url.Parse(id)
	if err != nil || u.Host != "localhost" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, invalidClient("development client_id %q must be http://localhost without port or path", clip(id))
	}
	q := u.Query()
	c := &Client{ClientID: id, ApplicationType: "native", ClientName: "Development app",
		RedirectURIs: q["redirect_uri"], GrantTypes: []string{"authorization_code", "refresh_token"},
		ResponseTypes: []string{"code"}, Scope: q.Get("scope"), DPoPBound: true,
		TokenEndpointAuthMethod: "none", Localhost: true}
	if len(c.RedirectURIs) == 0 {
		c.RedirectURIs = []string{"http://127.0.0.1/", "http://[::1]/"}
	}
	if c.Scope == "" {
		c.Scope = "atproto"
	}
	for _, r := range c.RedirectURIs {
		if p, err := url.Parse(r); err != nil || p.Scheme != "http" || !isLoopbackIP(p.Hostname()) {
			return nil, invalidClient("development redirect_uri %q must be http on a loopback IP", clip(r))
		}
	}
	return c, errors.Join(c.checkScope())
}
