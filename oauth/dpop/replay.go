package dpop

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// ReplayCache remembers the proofs already used. Several nodes must share
// one (a database table with a unique key and an expiry column, say) for
// replay protection to hold across them.
type ReplayCache interface {
	// Remember records key as used until exp. It reports fresh false if
	// key was recorded before and has not expired. An error means the
	// cache could not tell; the proof is then refused.
	Remember(ctx context.Context, key string, exp time.Time) (fresh bool, err error)
}

// replayKey is the cache key of a proof: its jti, scoped to its key so
// that one client cannot use up another's identifiers. 64 hex digits.
func replayKey(jkt, jti string) string {
	h := sha256.New()
	h.Write([]byte(jkt))
	h.Write([]byte{0})
	h.Write([]byte(jti))
	return hex.EncodeToString(h.Sum(nil))
}

// DefaultReplayEntries is the capacity of a MemoryReplay unless told
// otherwise: some 50 MB when full, enough for over a thousand proofs a
// second with the default time window.
const DefaultReplayEntries = 1 << 18

// MemoryReplay is a ReplayCache in memory, for one node. It holds at most
// its capacity of unexpired entries; when full it refuses new proofs (with
// an error of kind rhizome.Unavailable) rather than forget a live one.
// Expired entries are dropped as new ones arrive. It is safe for
// concurrent use.
type MemoryReplay struct {
	mu   sync.Mutex
	max  int
	now  func() time.Time
	seen map[string]time.Time
	exp  expiryHeap
}

// NewMemoryReplay returns an empty cache holding at most max entries
// (DefaultReplayEntries if max ≤ 0); now is the clock (nil: time.Now).
func NewMemoryReplay(max int, now func() time.Time) *MemoryReplay {
	if max <= 0 {
		max = DefaultReplayEntries
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryReplay{max: max, now: now, seen: map[string]time.Time{}}
}

// Remember implements ReplayCache.
func (m *MemoryReplay) Remember(_ context.Context, key string, exp time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.purge(now)
	if _, used := m.seen[key]; used {
		return false, nil
	}
	if !exp.After(now) {
		return true, nil // nothing to remember: it could not be replayed in time anyway
	}
	if len(m.seen) >= m.max {
		return false, rhizome.Errorf("remember dpop proof", rhizome.Unavailable, "replay cache full (%d live entries)", m.max)
	}
	m.seen[key] = exp
	heap.Push(&m.exp, expiry{key: key, at: exp})
	return true, nil
}

// Len returns the number of live entries.
func (m *MemoryReplay) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.purge(m.now())
	return len(m.seen)
}

// purge drops the entries expired at now. The caller holds m.mu.
func (m *MemoryReplay) purge(now time.Time) {
	for len(m.exp) > 0 && !m.exp[0].at.After(now) {
		e := heap.Pop(&m.exp).(expiry)
		delete(m.seen, e.key)
	}
}

type expiry struct {
	key string
	at  time.Time
}

// expiryHeap orders entries by expiry, soonest first.
type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
