package podtest

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/store/sqlite"
)

// Multi-pod suites share one PLC directory: a plc.Directory served on a
// loopback port by the test process, so the test can move its clock.

// Directory is a PLC directory on loopback whose clock the test controls.
type Directory struct {
	URL    string
	Dir    *plc.Directory
	offset atomic.Int64 // nanoseconds added to the real clock
}

// NewDirectory starts a directory on a fresh SQLite file; it stops when
// the test ends.
func NewDirectory(t testing.TB) *Directory {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "plc.db"))
	if err != nil {
		t.Fatalf("open the directory's store: %v", err)
	}
	d := &Directory{}
	d.Dir = plc.NewDirectory(st, d.Now)
	srv := httptest.NewServer(d.Dir.Handler()) // 127.0.0.1, a free port
	d.URL = srv.URL
	t.Cleanup(func() { srv.Close(); st.Close() })
	return d
}

// Now is the directory's clock: the real time moved by Shift.
func (d *Directory) Now() time.Time { return time.Now().Add(time.Duration(d.offset.Load())) }

// SetOffset sets how far the directory's clock is from the real one.
func (d *Directory) SetOffset(off time.Duration) { d.offset.Store(int64(off)) }

// Client returns a client of the directory.
func (d *Directory) Client() *plc.Client { return &plc.Client{BaseURL: d.URL} }

// ServeArgsPLC are the arguments of rhizome serve using the directory at
// plcURL instead of an embedded one.
func ServeArgsPLC(dir, addr, plcURL string) []string {
	return []string{"serve", "--data", dir, "--listen", addr, "--plc-url", plcURL, "--rate-limits", "off"}
}

// StartArgs runs rhizome with args (a serve command listening on addr)
// and waits until it serves /_health, like Start.
func StartArgs(t testing.TB, bin, addr string, args []string) *Pod {
	t.Helper()
	for attempt := 0; ; attempt++ {
		p, err := tryStartArgs(t, bin, addr, args)
		if err == nil {
			return p
		}
		if attempt < 40 && strings.Contains(p.Logs.String(), "address already in use") {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		t.Fatalf("pod did not start: %v\n--- pod log ---\n%s", err, p.Logs)
	}
}

func tryStartArgs(t testing.TB, bin, addr string, args []string) (*Pod, error) {
	p := &Pod{t: t, Addr: addr, Logs: &logTail{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = Env()
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return p, err
	}
	p.cmd.Stdout = p.Logs
	if err := p.cmd.Start(); err != nil {
		return p, err
	}
	ready := make(chan struct{})
	go p.watch(stderr, ready)
	if err := p.waitReady(ready); err != nil {
		p.Kill()
		return p, err
	}
	return p, nil
}

// HostRotationKey opens a pod's host PLC rotation key from its data
// folder (sealed by the folder's keyring), as a host turned hostile could.
func HostRotationKey(t testing.TB, dataDir string) keys.Signer {
	t.Helper()
	kr, err := keys.LoadOrCreateKeyring(filepath.Join(dataDir, "keyring.key"))
	if err != nil {
		t.Fatalf("open the pod's keyring: %v", err)
	}
	sealed, err := os.ReadFile(filepath.Join(dataDir, "plc-rotation.key"))
	if err != nil {
		t.Fatalf("read the pod's rotation key: %v", err)
	}
	s, err := kr.Open(sealed, "plc-rotation")
	if err != nil {
		t.Fatalf("open the pod's rotation key: %v", err)
	}
	return s
}

// Result is a finished command: its output streams and exit code.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs the binary to completion with a timeout and extra environment
// variables, keeping stdout and stderr apart.
func Run(ctx context.Context, bin string, env []string, args ...string) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(Env(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String(), Code: cmd.ProcessState.ExitCode()}
	if _, ok := err.(*exec.ExitError); ok {
		err = nil // a non-zero exit is in Code
	}
	return r, err
}
