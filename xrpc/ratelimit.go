package xrpc

import (
	"sync"

	"golang.org/x/time/rate"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// RateLimits bound requests per client address and writes per account.
// A zero rate disables that limit.
type RateLimits struct {
	PerIP       rate.Limit // requests per second from one address
	PerIPBurst  int
	Writes      rate.Limit // write calls per second by one account
	WritesBurst int
	DisableAll  bool
	// Shared, if set, keeps the counts in a store every node of the pod
	// shares, so the limits hold across nodes (see ratelimit_shared.go);
	// nil keeps them in this process.
	Shared        RateCounter
	maxTrackedKey int
}

// DefaultRateLimits are on unless the operator turns them off: generous
// enough for a person's apps, tight enough to stop a runaway client.
var DefaultRateLimits = RateLimits{PerIP: 100, PerIPBurst: 500, Writes: 50, WritesBurst: 1000}

// limiter keeps one token bucket per key ("ip:…" or "did:…").
type limiter struct {
	cfg    RateLimits
	mu     sync.Mutex
	m      map[string]*rate.Limiter
	shared *sharedLimiter // set when cfg.Shared is
}

func newLimiter(cfg RateLimits) *limiter {
	if cfg.maxTrackedKey == 0 {
		cfg.maxTrackedKey = 100_000
	}
	l := &limiter{cfg: cfg, m: map[string]*rate.Limiter{}}
	if cfg.Shared != nil {
		l.shared = newSharedLimiter(cfg.Shared, cfg.maxTrackedKey)
	}
	return l
}

func (l *limiter) allowIP(ip string) error {
	if l.cfg.DisableAll || l.cfg.PerIP == 0 {
		return nil
	}
	return l.allow("ip:"+ip, l.cfg.PerIP, l.cfg.PerIPBurst)
}

func (l *limiter) allowWrite(did syntax.DID) error {
	if l.cfg.DisableAll || l.cfg.Writes == 0 || did == "" {
		return nil
	}
	return l.allow(string(did), l.cfg.Writes, l.cfg.WritesBurst)
}

func (l *limiter) allow(key string, r rate.Limit, burst int) error {
	if l.shared != nil {
		return l.shared.allow(key, r, burst)
	}
	l.mu.Lock()
	lim := l.m[key]
	if lim == nil {
		if len(l.m) >= l.cfg.maxTrackedKey {
			clear(l.m) // forget everyone rather than grow without bound
		}
		lim = rate.NewLimiter(r, burst)
		l.m[key] = lim
	}
	ok := lim.Allow()
	l.mu.Unlock()
	if !ok {
		return errRateLimited()
	}
	return nil
}

func errRateLimited() error {
	return rhizome.E("rate limit", rhizome.Unavailable, "too many requests; slow down").Named("RateLimitExceeded")
}
