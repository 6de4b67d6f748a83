package scope

import (
	"context"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// The specification's cache lifetimes for permission sets: re-resolve a
// set a day after fetching it (keeping the old copy if that fails), and
// stop using a copy 90 days after fetching it.
const (
	DefaultStale   = 24 * time.Hour
	DefaultExpire  = 90 * 24 * time.Hour
	DefaultMaxSets = 4096
)

// CacheConfig tunes a [Cache]. Zero fields take the defaults.
type CacheConfig struct {
	Stale      time.Duration    // age after which a set is resolved again
	Expire     time.Duration    // age after which a set is never used
	MaxEntries int              // sets kept; the oldest fetched is evicted first
	Now        func() time.Time // the clock, for tests
}

// Cache is a SetResolver that remembers what another resolves. A set
// younger than Stale is served from memory; an older one is resolved
// again, and if that fails the old copy is served until it is Expire old.
// Concurrent lookups of one NSID share one resolution. Failures are not
// cached. A Cache is safe for concurrent use.
type Cache struct {
	next SetResolver
	cfg  CacheConfig

	mu       sync.Mutex
	entries  map[syntax.NSID]cacheEntry
	inflight map[syntax.NSID]*resolution
}

type cacheEntry struct {
	set     *PermissionSet
	fetched time.Time
}

// resolution is one resolution in progress, which late callers wait for.
type resolution struct {
	done chan struct{}
	set  *PermissionSet
	err  error
}

// NewCache returns a cache in front of next.
func NewCache(next SetResolver, cfg CacheConfig) *Cache {
	if cfg.Stale <= 0 {
		cfg.Stale = DefaultStale
	}
	if cfg.Expire <= 0 {
		cfg.Expire = DefaultExpire
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxSets
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Cache{next: next, cfg: cfg, entries: map[syntax.NSID]cacheEntry{}, inflight: map[syntax.NSID]*resolution{}}
}

// ResolvePermissionSet implements SetResolver.
func (c *Cache) ResolvePermissionSet(ctx context.Context, nsid syntax.NSID) (*PermissionSet, error) {
	nsid = nsid.Normalize()
	c.mu.Lock()
	e, ok := c.entries[nsid]
	age := c.cfg.Now().Sub(e.fetched)
	if ok && age < c.cfg.Stale {
		c.mu.Unlock()
		return e.set, nil
	}
	res := c.start(ctx, nsid)
	c.mu.Unlock()

	usable := ok && age < c.cfg.Expire // stale, but may stand in
	select {
	case <-res.done:
	case <-ctx.Done():
		if usable {
			return e.set, nil
		}
		return nil, rhizome.E("resolve permission set", rhizome.Unavailable, ctx.Err())
	}
	if res.err != nil && usable {
		return e.set, nil
	}
	return res.set, res.err
}

// start returns the resolution of nsid in progress, starting one if there
// is none. The caller holds c.mu. The resolution runs on past the
// cancellation of the context that started it, as others may wait for it;
// the resolver must bound its own time.
func (c *Cache) start(ctx context.Context, nsid syntax.NSID) *resolution {
	if res, ok := c.inflight[nsid]; ok {
		return res
	}
	res := &resolution{done: make(chan struct{})}
	c.inflight[nsid] = res
	go func() {
		set, err := c.next.ResolvePermissionSet(context.WithoutCancel(ctx), nsid)
		c.mu.Lock()
		defer c.mu.Unlock()
		res.set, res.err = set, err
		delete(c.inflight, nsid)
		if err == nil {
			c.store(nsid, set)
		}
		close(res.done)
	}()
	return res
}

// store keeps set, evicting the oldest fetched entry when full. The caller
// holds c.mu.
func (c *Cache) store(nsid syntax.NSID, set *PermissionSet) {
	if _, ok := c.entries[nsid]; !ok && len(c.entries) >= c.cfg.MaxEntries {
		var oldest syntax.NSID
		var when time.Time
		for k, e := range c.entries {
			if oldest == "" || e.fetched.Before(when) {
				oldest, when = k, e.fetched
			}
		}
		delete(c.entries, oldest)
	}
	c.entries[nsid] = cacheEntry{set: set, fetched: c.cfg.Now()}
}

// Forget drops nsid from the cache, so the next lookup resolves it again.
func (c *Cache) Forget(nsid syntax.NSID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, nsid.Normalize())
}

// StaticResolver resolves permission sets from lexicon documents held in
// memory, keyed by NSID: for tests, and for sets the pod ships with.
type StaticResolver map[syntax.NSID][]byte

// ResolvePermissionSet implements SetResolver.
func (r StaticResolver) ResolvePermissionSet(_ context.Context, nsid syntax.NSID) (*PermissionSet, error) {
	doc, ok := r[nsid.Normalize()]
	if !ok {
		doc, ok = r[nsid]
	}
	if !ok {
		return nil, rhizome.Errorf("resolve permission set", rhizome.NotFound, "no permission set %s", nsid)
	}
	return ParsePermissionSet(nsid, doc)
}
