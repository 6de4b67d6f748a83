package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// rawDB opens path without the store, for tests that tamper with it.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// storedVersion reads the schema version of the database at path.
func storedVersion(t *testing.T, path string) int {
	t.Helper()
	var v int
	if err := rawDB(t, path).QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpen_Reopen(t *testing.T) {
	t.Run("keeps data and version", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a", "b", "rhizome.db")
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		inv := store.Invite{Code: "kept", Available: 2, CreatedBy: "admin"}
		if err := s.CreateInvite(t.Context(), inv); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		got, err := s.Invite(t.Context(), "kept")
		if err != nil || got.Available != 2 {
			t.Fatalf("after reopening: %+v, %v", got, err)
		}
		if v := storedVersion(t, path); v != SchemaVersion() || v < 1 {
			t.Fatalf("schema version %d, want %d", v, SchemaVersion())
		}
	})
}

func TestOpen_FutureSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rhizome.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := rawDB(t, path).Exec(`UPDATE schema_version SET version = ?`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path)
	if !rhizome.Is(err, rhizome.Invalid) {
		t.Fatalf("opening a newer schema: %v, want an Invalid error", err)
	}
	if v := storedVersion(t, path); v != SchemaVersion()+1 {
		t.Fatalf("refused open changed the version to %d", v)
	}
}

func TestOpen_BadPath(t *testing.T) {
	for _, path := range []string{"", "x.db?mode=ro", "file:x.db"} {
		if _, err := Open(path); !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("Open(%q): %v, want an Invalid error", path, err)
		}
	}
}

func TestOpen_Pragmas(t *testing.T) {
	s := openTemp(t)
	var mode string
	var syncLevel, fk int
	err := s.write(t.Context(), func(w *wconn) error {
		if err := w.row(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			return err
		}
		if err := w.row(`PRAGMA synchronous`).Scan(&syncLevel); err != nil {
			return err
		}
		return w.row(`PRAGMA foreign_keys`).Scan(&fk)
	})
	if err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || syncLevel != 2 || fk != 1 {
		t.Fatalf("journal_mode %s, synchronous %d, foreign_keys %d; want wal, 2 (FULL), 1", mode, syncLevel, fk)
	}
}

func TestMigrate_Steps(t *testing.T) {
	extra := append(migrations[:len(migrations):len(migrations)],
		migration{Version: len(migrations) + 1, SQL: `CREATE TABLE extra (x INTEGER); INSERT INTO extra VALUES (7);`})
	broken := append(extra[:len(extra):len(extra)],
		migration{Version: len(extra) + 1, SQL: `CREATE TABLE half (x INTEGER); SELECT nonsense FROM nowhere;`})
	path := filepath.Join(t.TempDir(), "rhizome.db")
	conn := rawConn(t, path)
	if err := migrate(t.Context(), conn, migrations); err != nil {
		t.Fatal(err)
	}
	t.Run("applies new steps only", func(t *testing.T) {
		if err := migrate(t.Context(), conn, extra); err != nil {
			t.Fatal(err)
		}
		var x int
		if err := conn.QueryRowContext(t.Context(), `SELECT x FROM extra`).Scan(&x); err != nil || x != 7 {
			t.Fatalf("extra table: %d, %v", x, err)
		}
		if v := storedVersion(t, path); v != len(extra) {
			t.Fatalf("version %d, want %d", v, len(extra))
		}
	})
	t.Run("failed step changes nothing", func(t *testing.T) {
		if err := migrate(t.Context(), conn, broken); err == nil {
			t.Fatal("a broken migration was applied")
		}
		var n int
		err := conn.QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_schema WHERE name = 'half'`).Scan(&n)
		if err != nil || n != 0 {
			t.Fatalf("half-applied table: %d, %v", n, err)
		}
		if v := storedVersion(t, path); v != len(extra) {
			t.Fatalf("version %d, want %d", v, len(extra))
		}
	})
}

// rawConn opens one connection to path with the store's writer settings.
func rawConn(t *testing.T, path string) *sql.Conn {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?"+writerParams(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); db.Close() })
	return conn
}

func TestLoadMigrations(t *testing.T) {
	good := fstest.MapFS{
		"migrations/0001_init.sql": {Data: []byte("CREATE TABLE a (x);")},
		"migrations/0002_more.sql": {Data: []byte("CREATE TABLE b (x);")},
	}
	ms, err := loadMigrations(good)
	if err != nil || len(ms) != 2 || ms[1].Version != 2 || ms[1].SQL != "CREATE TABLE b (x);" {
		t.Fatalf("loaded %+v, %v", ms, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":        {"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		"unnumbered": {"migrations/init.sql": {}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: loaded a bad migration set", name)
		}
	}
	if len(migrations) != SchemaVersion() || migrations[0].Version != 1 {
		t.Fatalf("embedded migrations: %d, version %d", len(migrations), migrations[0].Version)
	}
}

func TestStore_ForeignKeys(t *testing.T) {
	s := openTemp(t)
	err := s.write(t.Context(), func(w *wconn) error {
		return w.exec(`INSERT INTO record(actor, collection, rkey, cid) VALUES (12345, 'a.b.c', 'k', x'00')`)
	})
	if !rhizome.Is(wrap("insert record", err), rhizome.Invalid) {
		t.Fatalf("record of a missing actor: %v, want a constraint (Invalid) error", err)
	}
	if _, err := s.Head(t.Context(), syntax.DID("did:plc:x")); !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("head: %v", err)
	}
}

// TestMigrate_RecordValue checks that schema 6 (0006_record_value) fills the record index's
// copy of each record from the block table, so records written before
// it read back unchanged after it.
func TestMigrate_RecordValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rhizome.db")
	conn := rawConn(t, path)
	if err := migrate(t.Context(), conn, migrations[:5]); err != nil {
		t.Fatal(err)
	}
	rec := benchBlock(t, map[string]any{"$type": "app.bsky.feed.post", "text": "before v6"})
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO actor(id, did) VALUES (1, 'did:plc:migrated')`, nil},
		{`INSERT INTO block(id, actor, cid, rev, data) VALUES (9, 1, ?, '3kaaaaaaaaaa2', ?)`, []any{rec.CID.Bytes(), rec.Data}},
		{`INSERT INTO record(actor, collection, rkey, cid, block) VALUES (1, 'app.bsky.feed.post', 'a', ?, 9)`, []any{rec.CID.Bytes()}},
		{`INSERT INTO record(actor, collection, rkey, cid, block) VALUES (1, 'app.bsky.feed.post', 'b', ?, NULL)`, []any{rec.CID.Bytes()}},
	} {
		if _, err := conn.ExecContext(t.Context(), q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate(t.Context(), conn, migrations); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Record(t.Context(), "did:plc:migrated", "app.bsky.feed.post", "a")
	if err != nil || got.CID != rec.CID || !bytes.Equal(got.Value, rec.Data) {
		t.Fatalf("record after migration: %+v, %v", got, err)
	}
	list, err := s.ListRecords(t.Context(), "did:plc:migrated", "app.bsky.feed.post", store.Page{Cursor: "a"})
	if err == nil || !rhizome.Is(err, rhizome.Corrupt) {
		t.Fatalf("listing past a record whose block was never stored: %d records, %v; want a Corrupt error", len(list), err)
	}
	if _, err := s.Record(t.Context(), "did:plc:migrated", "app.bsky.feed.post", "b"); !rhizome.Is(err, rhizome.Corrupt) {
		t.Fatalf("record whose block was never stored: %v, want a Corrupt error", err)
	}
}
