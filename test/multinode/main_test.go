package multinode

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rhizome-pds/rhizome/blobstore/s3/s3test"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

func TestMain(m *testing.M) {
	slog.SetLogLoggerLevel(slog.LevelWarn)
	podtest.Main(m)
}

// defaultServer is the PostgreSQL server the tests use unless
// RHIZOME_TEST_POSTGRES names another.
const defaultServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func serverURL() string {
	if u := os.Getenv("RHIZOME_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultServer
}

// freshDB creates an empty database for the test, dropped when it ends,
// and returns its URL. It fails the test if the server is unreachable.
func freshDB(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL())
	if err != nil {
		t.Fatalf("PostgreSQL is needed for these tests and is not reachable at %s: %v\n"+
			"Start it (Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)\n"+
			"or set RHIZOME_TEST_POSTGRES to a postgres:// URL of a server where the user may create databases.",
			redacted(serverURL()), err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "rhizome_multinode_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() { dropDB(t, name) })
	u, err := url.Parse(serverURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func dropDB(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL())
	if err == nil {
		_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		conn.Close(ctx)
	}
	if err != nil {
		t.Errorf("drop database %s: %v", name, err)
	}
}

func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}

// cluster is several nodes serving one pod from one database and bucket.
type cluster struct {
	db, blobs string
	public    string // the pod's public URL, the same on every node
	nodes     []*podtest.Pod
	clients   []*podtest.Client
	dirs      []string
	args      [][]string // each node's command line
}

// startCluster starts n nodes on a fresh database and bucket. Node 1
// makes the pod's secrets; the others get copies of them, as an operator
// would give them.
func startCluster(t testing.TB, n int, rateLimits string) *cluster {
	t.Helper()
	return startClusterOn(t, freshDB(t), "", n, rateLimits)
}

// startClusterOn starts n nodes on the database at db and a fresh bucket,
// with public as the pod's public URL ("" for node 1's address).
func startClusterOn(t testing.TB, db, public string, n int, rateLimits string) *cluster {
	t.Helper()
	c := &cluster{db: db, blobs: s3test.Start(t).NewBucket(t), public: public}
	bin := podtest.Binary(t)
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = podtest.FreeAddr(t)
	}
	if c.public == "" {
		c.public = "http://" + addrs[0]
	}
	for i, addr := range addrs {
		dir := t.TempDir()
		if i > 0 {
			copySecrets(t, c.dirs[0], dir)
		}
		args := []string{"serve", "--data", dir, "--listen", addr, "--public-url", c.public, "--plc-url", "embedded",
			"--db", c.db, "--blobs", c.blobs, "--rate-limits", rateLimits}
		p := podtest.StartArgs(t, bin, addr, args)
		t.Cleanup(func() { stopNode(t, i+1, c.nodes[i]) })
		c.nodes, c.dirs, c.args = append(c.nodes, p), append(c.dirs, dir), append(c.args, args)
		c.clients = append(c.clients, podtest.NewClient(p))
	}
	return c
}

// secrets are the files of a data folder every node of a pod shares.
var secrets = []string{"keyring.key", "session.secret", "plc-rotation.key", "oauth.secret"}

func copySecrets(t testing.TB, from, to string) {
	t.Helper()
	for _, name := range secrets {
		b, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			t.Fatalf("read the first node's %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(to, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// stopNode stops a node at the end of a test, showing its log if the
// test failed.
func stopNode(t testing.TB, n int, p *podtest.Pod) {
	p.Stop()
	if t.Failed() {
		t.Logf("--- node %d log ---\n%s", n, p.Logs)
	}
}
