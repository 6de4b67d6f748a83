package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/store/storetest"
)

// defaultServer is the server the tests use unless RHIZOME_TEST_POSTGRES
// names another.
const defaultServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// testDB is the database of this test run: created on first use, dropped
// by TestMain.
var testDB struct {
	once sync.Once
	url  string // the run's database
	err  error
	name string
	n    atomic.Int64 // schemas handed out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testDB.name != "" {
		if err := dropTestDB(); err != nil {
			fmt.Fprintf(os.Stderr, "drop test database %s: %v\n", testDB.name, err)
			code = 1
		}
	}
	os.Exit(code)
}

// serverURL is the URL of the server the tests use.
func serverURL() string {
	if u := os.Getenv("RHIZOME_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultServer
}

// redacted is a URL with its password, if any, hidden.
func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}

// runDB returns the URL of this run's database, creating it on first use,
// and fails the test if the server cannot be reached.
func runDB(t testing.TB) string {
	t.Helper()
	testDB.once.Do(func() { testDB.url, testDB.err = createTestDB() })
	if testDB.err != nil {
		t.Fatalf("PostgreSQL is needed for these tests and is not reachable at %s: %v\n"+
			"Start it (Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)\n"+
			"or set RHIZOME_TEST_POSTGRES to a postgres:// URL of a server where the user may create databases.",
			redacted(serverURL()), testDB.err)
	}
	return testDB.url
}

// createTestDB creates a database named rhizome_test_<random> on the
// server and returns its URL.
func createTestDB() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL())
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "rhizome_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	testDB.name = name
	u, err := url.Parse(serverURL())
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func dropTestDB() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+testDB.name+" WITH (FORCE)")
	return err
}

// freshSchema returns the URL of a new, empty schema of the run's
// database.
func freshSchema(t testing.TB) string {
	t.Helper()
	return withSchema(t, runDB(t), fmt.Sprintf("s%d", testDB.n.Add(1)))
}

// withSchema adds the schema parameter to a database URL.
func withSchema(t testing.TB, db, schema string) string {
	t.Helper()
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openURL opens a store at url, closed when the test ends.
func openURL(t testing.TB, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTemp opens a store on a fresh schema.
func openTemp(t testing.TB) *Store {
	t.Helper()
	return openURL(t, freshSchema(t))
}

func TestStore_Conformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}
