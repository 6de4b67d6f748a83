package identity

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Defaults of a Config's zero fields.
const (
	DefaultPLCURL      = "https://plc.directory"
	DefaultTimeout     = 5 * time.Second
	DefaultCacheSize   = 10_000
	DefaultCacheTTL    = time.Hour
	DefaultNegativeTTL = time.Minute
)

// Config sets up a Resolver. The zero Config resolves against the public
// PLC directory and public hosts only.
type Config struct {
	// PLCURL is the base URL of the PLC directory; a did:plc document is
	// fetched from PLCURL + "/" + did. Default DefaultPLCURL.
	PLCURL string
	// HTTPClient makes every HTTP request. Nil means GuardedClient(
	// AllowLoopback, Timeout). A client given here is used as it is (the
	// resolver only sets its redirect policy on copies), so it should
	// guard addresses itself.
	HTTPClient *http.Client
	// Timeout bounds each network lookup (one HTTP request with its body,
	// or one DNS query). Default DefaultTimeout.
	Timeout time.Duration
	// LookupTXT returns the TXT records of a DNS name. Default
	// net.DefaultResolver.LookupTXT.
	LookupTXT func(ctx context.Context, name string) ([]string, error)
	// HostURL maps a did:web host or a handle to the base URL its
	// well-known files are fetched from. Default "https://" + host, or
	// "http://" for localhost. Tests point it at a loopback server.
	HostURL func(host string) string
	// AllowLoopback lets the default client connect to loopback
	// addresses: for tests, and for a PLC directory embedded on this
	// machine. Other non-public addresses stay refused.
	AllowLoopback bool
	// AllowLocalhostWeb accepts did:web:localhost, with a port
	// percent-encoded as in did:web:localhost%3A2583; for development only.
	AllowLocalhostWeb bool
	// RejectHandleConflicts makes handle resolution wait for both the DNS
	// and the HTTPS method and fail with kind Conflict if they name
	// different DIDs. By default a DNS answer wins, as the handle spec
	// prefers, and HTTPS is only waited for when DNS has none.
	RejectHandleConflicts bool
	// CacheSize bounds the number of DID documents and, separately, of
	// handles remembered. Default DefaultCacheSize; negative disables the
	// cache.
	CacheSize int
	// CacheTTL is how long a successful lookup is remembered. Default
	// DefaultCacheTTL.
	CacheTTL time.Duration
	// NegativeTTL is how long a definite failure (not found, invalid,
	// forbidden, conflict, too large) is remembered. Failures that may be
	// transient (kind Unavailable) are never cached. Default
	// DefaultNegativeTTL.
	NegativeTTL time.Duration
	// Now is the clock the cache reads. Default time.Now.
	Now func() time.Time
}

// Resolver resolves DIDs to documents and handles to DIDs, and remembers
// the answers for a while. It is safe for concurrent use.
type Resolver struct {
	plcURL          string
	timeout         time.Duration
	docClient       *http.Client // no redirects
	webClient       *http.Client // a few redirects, for handle well-known
	lookupTXT       func(context.Context, string) ([]string, error)
	hostURL         func(string) string
	allowLocalhost  bool
	rejectConflicts bool
	ttl, negTTL     time.Duration
	now             func() time.Time
	docs            *cache[syntax.DID, *Doc]
	handles         *cache[syntax.Handle, syntax.DID]
}

// NewResolver returns a Resolver set up by cfg. It fails with kind
// rhizome.Invalid if PLCURL is not an http or https URL.
func NewResolver(cfg Config) (*Resolver, error) {
	cfg = withDefaults(cfg)
	plc, err := url.Parse(cfg.PLCURL)
	if err != nil || (plc.Scheme != "https" && plc.Scheme != "http") || plc.Host == "" {
		return nil, rhizome.Errorf("new resolver", rhizome.Invalid, "PLC URL %q is not an http(s) URL", cfg.PLCURL)
	}
	size := cfg.CacheSize
	if size < 0 {
		size = 0
	}
	return &Resolver{
		plcURL:          strings.TrimRight(cfg.PLCURL, "/"),
		timeout:         cfg.Timeout,
		docClient:       withRedirectPolicy(cfg.HTTPClient, noRedirects),
		webClient:       withRedirectPolicy(cfg.HTTPClient, fewRedirects),
		lookupTXT:       cfg.LookupTXT,
		hostURL:         cfg.HostURL,
		allowLocalhost:  cfg.AllowLocalhostWeb,
		rejectConflicts: cfg.RejectHandleConflicts,
		ttl:             cfg.CacheTTL,
		negTTL:          cfg.NegativeTTL,
		now:             cfg.Now,
		docs:            newCache[syntax.DID, *Doc](size),
		handles:         newCache[syntax.Handle, syntax.DID](size),
	}, nil
}

// withDefaults fills cfg's zero fields.
func withDefaults(cfg Config) Config {
	cfg.PLCURL = or(cfg.PLCURL, DefaultPLCURL)
	cfg.Timeout = or(cfg.Timeout, DefaultTimeout)
	cfg.CacheSize = or(cfg.CacheSize, DefaultCacheSize)
	cfg.CacheTTL = or(cfg.CacheTTL, DefaultCacheTTL)
	cfg.NegativeTTL = or(cfg.NegativeTTL, DefaultNegativeTTL)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = GuardedClient(cfg.AllowLoopback, cfg.Timeout)
	}
	if cfg.LookupTXT == nil {
		cfg.LookupTXT = net.DefaultResolver.LookupTXT
	}
	if cfg.HostURL == nil {
		cfg.HostURL = defaultHostURL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func defaultHostURL(host string) string {
	if host == "localhost" || strings.HasPrefix(host, "localhost:") {
		return "http://" + host
	}
	return "https://" + host
}

// Purge forgets what the resolver remembers about id: for a DID, its
// document and the handle that document claimed; for a handle, its DID.
// Call it when an identity is known to have changed, such as on a
// firehose #identity event.
func (r *Resolver) Purge(id syntax.AtIdentifier) {
	if did, ok := id.AsDID(); ok {
		if doc, ok := r.docs.delete(did); ok && doc != nil && doc.Handle != "" {
			r.handles.delete(doc.Handle)
		}
		return
	}
	if h, ok := id.AsHandle(); ok {
		r.handles.delete(h.Normalize())
	}
}

// remember caches a lookup's result: a success for the resolver's TTL, a
// definite failure for its negative TTL, and nothing else.
func remember[K comparable, V any](r *Resolver, c *cache[K, V], key K, val V, err error) {
	now := r.now()
	switch {
	case err == nil:
		c.put(key, val, nil, now.Add(r.ttl))
	case definite(err):
		var zero V
		c.put(key, zero, err, now.Add(r.negTTL))
	}
}

// definite reports whether err will recur if the lookup is repeated soon.
func definite(err error) bool {
	switch rhizome.KindOf(err) {
	case rhizome.NotFound, rhizome.Invalid, rhizome.Forbidden, rhizome.Conflict, rhizome.TooLarge:
		return true
	}
	return false
}
