package server

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// MemoryStore is a Store in memory, for one process and for tests. It
// forgets expired requests when new ones arrive. It passes the
// oauth/server/servertest suite, as every Store must.
type MemoryStore struct {
	mu       sync.Mutex
	requests map[string]*Request
	families map[string]*Family
	now      func() time.Time
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{requests: map[string]*Request{}, families: map[string]*Family{}, now: time.Now}
}

func (m *MemoryStore) PutRequest(_ context.Context, r *Request) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for id, old := range m.requests {
		if now.After(old.ExpiresAt) {
			delete(m.requests, id)
		}
	}
	c := *r
	m.requests[r.ID] = &c
	return nil
}

func (m *MemoryStore) Request(_ context.Context, id string) (*Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.requests[id]
	if !ok || m.now().After(r.ExpiresAt) {
		return nil, rhizome.E("get oauth request", rhizome.NotFound, "no such request")
	}
	c := *r
	return &c, nil
}

func (m *MemoryStore) DeleteRequest(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.requests, id)
	return nil
}

func (m *MemoryStore) TakeCode(_ context.Context, codeHash string) (*Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, r := range m.requests {
		if r.CodeHash != "" && r.CodeHash == codeHash {
			delete(m.requests, id)
			if m.now().After(r.ExpiresAt) {
				break
			}
			return r, nil
		}
	}
	return nil, rhizome.E("take oauth code", rhizome.NotFound, "no such code")
}

func (m *MemoryStore) PutFamily(_ context.Context, f *Family) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.families[f.ID]; ok {
		return rhizome.E("put oauth grant", rhizome.Exists, "grant exists")
	}
	c := *f
	m.families[f.ID] = &c
	return nil
}

func (m *MemoryStore) Family(_ context.Context, id string) (*Family, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.families[id]
	if !ok {
		return nil, rhizome.E("get oauth grant", rhizome.NotFound, "no such grant")
	}
	c := *f
	return &c, nil
}

func (m *MemoryStore) Families(_ context.Context, did syntax.DID) ([]*Family, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Family
	for _, f := range m.families {
		if f.DID == did {
			c := *f
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := out[i].CreatedAt, out[j].CreatedAt; !a.Equal(b) {
			return a.After(b)
		}
		return out[i].ID > out[j].ID
	})
	return out, nil
}

func (m *MemoryStore) Rotate(_ context.Context, id, oldHash, newHash string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.families[id]
	switch {
	case !ok:
		return rhizome.E("rotate refresh token", rhizome.NotFound, "no such grant")
	case !f.RevokedAt.IsZero() || f.RefreshHash != oldHash:
		return rhizome.E("rotate refresh token", rhizome.Conflict, "refresh token is not current")
	}
	f.RefreshHash, f.RefreshedAt = newHash, at
	return nil
}

func (m *MemoryStore) PruneFamilies(_ context.Context, before time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, f := range m.families {
		if ended(f, before) {
			delete(m.families, id)
			n++
		}
	}
	return n, nil
}

// ended reports whether f was revoked or expired before t.
func ended(f *Family, t time.Time) bool {
	return (!f.RevokedAt.IsZero() && f.RevokedAt.Before(t)) || f.ExpiresAt.Before(t)
}

func (m *MemoryStore) Revoke(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.families[id]
	if !ok {
		return rhizome.E("revoke oauth grant", rhizome.NotFound, "no such grant")
	}
	if f.RevokedAt.IsZero() {
		f.RevokedAt = at
	}
	return nil
}
