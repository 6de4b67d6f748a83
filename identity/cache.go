package identity

import (
	"container/list"
	"sync"
	"time"
)

// cache is a bounded, least-recently-used map from keys to results (a
// value or an error) that expire. It is safe for concurrent use. A cache
// with max < 1 holds nothing.
type cache[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *cacheEntry[K, V], most recently used first
	byKey map[K]*list.Element
}

type cacheEntry[K comparable, V any] struct {
	key     K
	val     V
	err     error
	expires time.Time
}

func newCache[K comparable, V any](max int) *cache[K, V] {
	return &cache[K, V]{max: max, order: list.New(), byKey: make(map[K]*list.Element)}
}

// get returns the result stored for key, and whether there is one that has
// not expired at now.
func (c *cache[K, V]) get(key K, now time.Time) (val V, err error, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, found := c.byKey[key]
	if !found {
		return val, nil, false
	}
	e := el.Value.(*cacheEntry[K, V])
	if !now.Before(e.expires) {
		c.remove(el)
		return val, nil, false
	}
	c.order.MoveToFront(el)
	return e.val, e.err, true
}

// put stores a result for key until expires, evicting the least recently
// used entry if the cache is full.
func (c *cache[K, V]) put(key K, val V, err error, expires time.Time) {
	if c.max < 1 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &cacheEntry[K, V]{key: key, val: val, err: err, expires: expires}
	if el, found := c.byKey[key]; found {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		c.remove(c.order.Back())
	}
}

// delete drops key, returning the value it held, if any.
func (c *cache[K, V]) delete(key K) (val V, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, found := c.byKey[key]
	if !found {
		return val, false
	}
	c.remove(el)
	return el.Value.(*cacheEntry[K, V]).val, true
}

// len reports how many entries, expired or not, the cache holds.
func (c *cache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func (c *cache[K, V]) remove(el *list.Element) {
	c.order.Remove(el)
	delete(c.byKey, el.Value.(*cacheEntry[K, V]).key)
}
