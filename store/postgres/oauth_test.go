package postgres

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/oauth/dpop"
	"github.com/rhizome-pds/rhizome/oauth/server"
	"github.com/rhizome-pds/rhizome/oauth/server/servertest"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

func TestOAuth_Conformance(t *testing.T) {
	servertest.Run(t, func(t *testing.T) server.Store { return openTemp(t).OAuth() })
}

func TestDPoPReplay_Conformance(t *testing.T) {
	servertest.RunReplay(t, func(t *testing.T) dpop.ReplayCache { return openTemp(t).DPoPReplay() })
}

// TestOAuth_TwoNodes runs the suites with every call going to one of two
// stores (two connection pools) on one schema in turn, as two pod
// processes would: the suites' racers then race across nodes.
func TestOAuth_TwoNodes(t *testing.T) {
	t.Run("store", func(t *testing.T) {
		servertest.Run(t, func(t *testing.T) server.Store {
			n := openNodes(t)
			return &alternating{nodes: [2]server.Store{n[0].OAuth(), n[1].OAuth()}}
		})
	})
	t.Run("replay", func(t *testing.T) {
		servertest.RunReplay(t, func(t *testing.T) dpop.ReplayCache {
			n := openNodes(t)
			return &alternating{replays: [2]dpop.ReplayCache{n[0].DPoPReplay(), n[1].DPoPReplay()}}
		})
	})
}

// alternating sends each call to the next of two nodes.
type alternating struct {
	nodes   [2]server.Store
	replays [2]dpop.ReplayCache
	n       atomic.Uint32
}

func (a *alternating) next() int { return int(a.n.Add(1) % 2) }

func (a *alternating) PutRequest(ctx context.Context, r *server.Request) error {
	return a.nodes[a.next()].PutRequest(ctx, r)
}

func (a *alternating) Request(ctx context.Context, id string) (*server.Request, error) {
	return a.nodes[a.next()].Request(ctx, id)
}

func (a *alternating) DeleteRequest(ctx context.Context, id string) error {
	return a.nodes[a.next()].DeleteRequest(ctx, id)
}

func (a *alternating) TakeCode(ctx context.Context, codeHash string) (*server.Request, error) {
	return a.nodes[a.next()].TakeCode(ctx, codeHash)
}

func (a *alternating) PutFamily(ctx context.Context, f *server.Family) error {
	return a.nodes[a.next()].PutFamily(ctx, f)
}

func (a *alternating) Family(ctx context.Context, id string) (*server.Family, error) {
	return a.nodes[a.next()].Family(ctx, id)
}

func (a *alternating) Families(ctx context.Context, did syntax.DID) ([]*server.Family, error) {
	return a.nodes[a.next()].Families(ctx, did)
}

func (a *alternating) Rotate(ctx context.Context, id, oldHash, newHash string, at time.Time) error {
	return a.nodes[a.next()].Rotate(ctx, id, oldHash, newHash, at)
}

func (a *alternating) Revoke(ctx context.Context, id string, at time.Time) error {
	return a.nodes[a.next()].Revoke(ctx, id, at)
}

func (a *alternating) PruneFamilies(ctx context.Context, before time.Time) (int, error) {
	return a.nodes[a.next()].PruneFamilies(ctx, before)
}

func (a *alternating) Remember(ctx context.Context, key string, exp time.Time) (bool, error) {
	return a.replays[a.next()].Remember(ctx, key, exp)
}

// countRows counts the rows of table.
func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.queryRow(t.Context(), `SELECT count(*) FROM `+table, nil, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOAuth_Prune(t *testing.T) {
	past := store.Now().Add(-time.Minute)
	cases := []struct {
		table, fill string
		add         func(*Store) error
	}{
		{"oauth_request", `INSERT INTO oauth_request SELECT 'old-' || i, '', '', '', '', '', '', '', '', $2, '', '', '', ''
			FROM generate_series(1, $1) AS i`,
			func(s *Store) error {
				return s.OAuth().PutRequest(t.Context(), &server.Request{ID: "new", ExpiresAt: store.Now().Add(time.Minute)})
			}},
		{"dpop_jti", `INSERT INTO dpop_jti SELECT 'old-' || i, $2 FROM generate_series(1, $1) AS i`,
			func(s *Store) error {
				_, err := s.DPoPReplay().Remember(t.Context(), "new", store.Now().Add(time.Minute))
				return err
			}},
	}
	for _, c := range cases {
		t.Run(c.table, func(t *testing.T) {
			s := openTemp(t)
			const old = 3*pruneBatch + 5
			if _, err := s.exec(t.Context(), c.fill, old, past); err != nil {
				t.Fatal(err)
			}
			want := old + 1
			for want > 1 {
				if err := c.add(s); err != nil {
					t.Fatal(err)
				}
				want = max(1, want-pruneBatch)
				if n := countRows(t, s, c.table); n != want {
					t.Fatalf("%d rows after a write, want %d (%d expired deleted per write)", n, want, pruneBatch)
				}
			}
		})
	}
}
