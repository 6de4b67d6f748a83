package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/oauth/dpop"
	"github.com/rhizome-pds/rhizome/oauth/server"
	"github.com/rhizome-pds/rhizome/oauth/server/servertest"
	"github.com/rhizome-pds/rhizome/store"
)

func TestOAuth_Conformance(t *testing.T) {
	servertest.Run(t, func(t *testing.T) server.Store { return openTemp(t).OAuth() })
}

func TestDPoPReplay_Conformance(t *testing.T) {
	servertest.RunReplay(t, func(t *testing.T) dpop.ReplayCache { return openTemp(t).DPoPReplay() })
}

// countRows counts the rows of table through the store's read pool.
func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.rdb.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOAuth_Prune(t *testing.T) {
	past := store.Now().Add(-time.Minute).UnixMilli()
	cases := []struct {
		table, fill string
		add         func(*Store) error
	}{
		{"oauth_request", `INSERT INTO oauth_request VALUES ('old-' || ?, '', '', '', '', '', '', '', '', ?, '', '', '', '', '')`,
			func(s *Store) error {
				return s.OAuth().PutRequest(t.Context(), &server.Request{ID: "new", ExpiresAt: store.Now().Add(time.Minute)})
			}},
		{"dpop_jti", `INSERT INTO dpop_jti VALUES ('old-' || ?, ?)`,
			func(s *Store) error {
				_, err := s.DPoPReplay().Remember(t.Context(), "new", store.Now().Add(time.Minute))
				return err
			}},
	}
	for _, c := range cases {
		t.Run(c.table, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rhizome.db")
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			raw := rawDB(t, path)
			const old = 3*pruneBatch + 5
			for i := range old {
				if _, err := raw.Exec(c.fill, i, past); err != nil {
					t.Fatal(err)
				}
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
