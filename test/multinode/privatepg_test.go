package multinode

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// privatePG is a PostgreSQL server of the test's own, on a loopback port,
// which the test may stop and restart without touching the machine's.
type privatePG struct {
	bin, dir string
	port     int
	cred     *syscall.Credential // the postgres user's, when the test runs as root
}

// startPostgres initialises and starts a private PostgreSQL server,
// stopped when the test ends. It fails the test when Debian's server
// binaries (/usr/lib/postgresql/*/bin) are missing.
func startPostgres(t *testing.T) *privatePG {
	t.Helper()
	pg := &privatePG{bin: postgresBin(t), cred: postgresUser(t)}
	dir, err := os.MkdirTemp("", "rhizome-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if pg.cred != nil {
		if err := os.Chown(dir, int(pg.cred.Uid), int(pg.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	pg.dir = filepath.Join(dir, "data")
	pg.port = freePort(t)
	pg.run(t, "initdb", "-D", pg.dir, "-U", "postgres", "--auth=trust", "--no-sync")
	pg.ctl(t, "start")
	t.Cleanup(func() { pg.ctl(t, "stop", "-m", "immediate") })
	pg.waitUp(t)
	return pg
}

// postgresBin finds the newest /usr/lib/postgresql/*/bin holding initdb.
func postgresBin(t *testing.T) string {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		t.Fatal("this test runs a private PostgreSQL server and needs its binaries: no /usr/lib/postgresql/*/bin/initdb " +
			"(Debian: apt-get install postgresql)")
	}
	sort.Slice(found, func(i, j int) bool { return version(found[i]) < version(found[j]) })
	return filepath.Dir(found[len(found)-1])
}

func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// postgresUser is the credential to run the server as: PostgreSQL
// refuses to run as root, so as root the test uses the postgres user.
func postgresUser(t *testing.T) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root, the private PostgreSQL server needs the postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// run runs one of the server's programs, failing the test on error.
func (pg *privatePG) run(t *testing.T, prog string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(pg.bin, prog), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	cmd.Dir = filepath.Dir(pg.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", prog, args, err, out)
	}
}

// ctl runs pg_ctl with the server's port and socket folder.
func (pg *privatePG) ctl(t *testing.T, args ...string) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", pg.port, filepath.Dir(pg.dir))
	full := append([]string{"-D", pg.dir, "-w", "-l", filepath.Join(filepath.Dir(pg.dir), "log"), "-o", opts}, args...)
	pg.run(t, "pg_ctl", full...)
}

// restart restarts the server, cutting every connection.
func (pg *privatePG) restart(t *testing.T) {
	t.Helper()
	pg.ctl(t, "restart", "-m", "fast")
	pg.waitUp(t)
}

func (pg *privatePG) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, db)
}

func (pg *privatePG) waitUp(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := pgx.Connect(context.Background(), pg.url("postgres"))
		if err == nil {
			conn.Close(context.Background())
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the private PostgreSQL server is not up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
