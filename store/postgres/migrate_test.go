package postgres

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome"
)

// schemaConn connects to the schema named in url (creating it), without
// migrating it.
func schemaConn(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	cfg, o, err := parseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if err := createSchema(t.Context(), conn, o.schema); err != nil {
		t.Fatal(err)
	}
	return conn
}

// versions returns the rows of schema_migrations, lock row included.
func versions(t *testing.T, conn *pgx.Conn) []int {
	t.Helper()
	rows, err := conn.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// upTo returns 0, 1, … n.
func upTo(n int) []int {
	out := make([]int, n+1)
	for i := range out {
		out[i] = i
	}
	return out
}

// fakeMigrations builds a migration set of n numbered files, each creating
// a table tN.
func fakeMigrations(t *testing.T, n int) []migration {
	t.Helper()
	fsys := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		name := "migrations/000" + string(rune('0'+i)) + "_t.sql"
		fsys[name] = &fstest.MapFile{Data: []byte("CREATE TABLE t" + string(rune('0'+i)) + " (x integer)")}
	}
	ms, err := loadMigrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestMigrate(t *testing.T) {
	t.Run("fresh schema to latest", func(t *testing.T) {
		url := freshSchema(t)
		openURL(t, url)
		conn := schemaConn(t, url)
		if got := versions(t, conn); !slices.Equal(got, upTo(SchemaVersion())) {
			t.Fatalf("versions %v, want %v", got, upTo(SchemaVersion()))
		}
		var tables int
		err := conn.QueryRow(t.Context(), `SELECT count(*) FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_name IN ('actor', 'block', 'record', 'event', 'counter', 'plc_op')`).Scan(&tables)
		if err != nil || tables != 6 {
			t.Fatalf("%d of the tables found (%v)", tables, err)
		}
	})
	t.Run("step by step", func(t *testing.T) {
		conn := schemaConn(t, freshSchema(t))
		for _, n := range []int{1, 1, 3} {
			if err := migrate(t.Context(), conn, fakeMigrations(t, n)); err != nil {
				t.Fatalf("migrate to %d: %v", n, err)
			}
			if got := versions(t, conn); !slices.Equal(got, upTo(n)) {
				t.Fatalf("after migrating to %d: versions %v", n, got)
			}
		}
		if _, err := conn.Exec(t.Context(), `INSERT INTO t3 VALUES (1)`); err != nil {
			t.Fatalf("table of migration 3: %v", err)
		}
	})
	t.Run("concurrent opens", func(t *testing.T) {
		url := freshSchema(t)
		errs := make([]error, 6)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				s, err := Open(t.Context(), url)
				if err == nil {
					s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
		}
		if got := versions(t, schemaConn(t, url)); !slices.Equal(got, upTo(SchemaVersion())) {
			t.Fatalf("versions %v after concurrent opens", got)
		}
	})
	t.Run("newer schema refused", func(t *testing.T) {
		url := freshSchema(t)
		openURL(t, url)
		if _, err := schemaConn(t, url).Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES ($1)`, SchemaVersion()+1); err != nil {
			t.Fatal(err)
		}
		_, err := Open(t.Context(), url)
		if !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("open of a newer schema: %v, want an Invalid error", err)
		}
	})
	t.Run("misnumbered files", func(t *testing.T) {
		fsys := fstest.MapFS{"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}}
		if _, err := loadMigrations(fsys); err == nil {
			t.Fatal("a gap in the migration numbers was accepted")
		}
	})
}

func TestOpen_URL(t *testing.T) {
	for _, tc := range []struct{ name, url string }{
		{"not postgres", "mysql://localhost/db"},
		{"empty schema", "postgres://localhost/db?schema="},
		{"bad pool size", "postgres://localhost/db?pool_max_conns=0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(t.Context(), tc.url)
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("Open(%q): %v, want an Invalid error", tc.url, err)
			}
		})
	}
	t.Run("unreachable server", func(t *testing.T) {
		_, err := Open(t.Context(), "postgres://nobody@127.0.0.1:1/db?connect_timeout=2")
		if !rhizome.Is(err, rhizome.Unavailable) {
			t.Fatalf("open of a closed port: %v, want an Unavailable error", err)
		}
	})
}
