// Package podtest starts real rhizome serve processes for the end-to-end
// suites under test/: it builds cmd/rhizome once per test binary (or uses
// $RHIZOME_BIN), finds a free loopback port, waits for /_health, and
// keeps the tail of the pod's log for failure messages.
package podtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the binary the tests build; Main removes it.
var binDir string

// Main runs a test package's tests with a temporary folder for the built
// binary; call it from TestMain.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "rhizome-podtest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "make temp dir:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var build struct {
	once sync.Once
	path string
	err  error
}

// Binary builds cmd/rhizome once (or takes $RHIZOME_BIN) and fails the
// test if it cannot.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() { build.path, build.err = buildPod() })
	if build.err != nil {
		t.Fatalf("cannot build the pod: %v", build.err)
	}
	return build.path
}

func buildPod() (string, error) {
	if p := os.Getenv("RHIZOME_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("RHIZOME_BIN: %w", err)
		}
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("module root %s: %w", root, err)
	}
	out := filepath.Join(binDir, "rhizome")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/rhizome")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/rhizome: %v\n%s", err, b)
	}
	return out, nil
}

// FreeAddr returns a loopback address nothing listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Pod is one running rhizome serve process.
type Pod struct {
	t    testing.TB
	Addr string
	cmd  *exec.Cmd
	Logs *logTail
	done chan struct{} // closed once the process has exited
	err  error         // its exit status, valid after done
}

// ServeArgs are the arguments of rhizome serve for a data folder and address.
func ServeArgs(dir, addr string) []string {
	return []string{"serve", "--data", dir, "--listen", addr, "--plc-url", "embedded", "--rate-limits", "off"}
}

// Env is the environment without RHIZOME_* settings, so the flags alone
// configure the pod.
func Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RHIZOME_") {
			env = append(env, kv)
		}
	}
	return env
}

// Start runs the pod and waits until it serves /_health; it fails the
// test if the pod does not come up. If another process took the port in
// the moment it was free, it tries again for a while.
func Start(t testing.TB, bin, dir, addr string) *Pod {
	t.Helper()
	for attempt := 0; ; attempt++ {
		p, err := tryStart(t, bin, dir, addr)
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

func tryStart(t testing.TB, bin, dir, addr string) (*Pod, error) {
	p := &Pod{t: t, Addr: addr, Logs: &logTail{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, ServeArgs(dir, addr)...)
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

// watch copies the pod's stderr into its log, signals ready at the
// "rhizome listening" line, and reaps the process at EOF.
func (p *Pod) watch(r io.Reader, ready chan struct{}) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	signalled := false
	for sc.Scan() {
		line := sc.Text()
		p.Logs.Write([]byte(line + "\n"))
		if !signalled && strings.Contains(line, "rhizome listening") {
			signalled = true
			close(ready)
		}
	}
	io.Copy(io.Discard, r)
	p.err = p.cmd.Wait()
	close(p.done)
}

func (p *Pod) waitReady(ready chan struct{}) error {
	select {
	case <-ready:
	case <-p.done:
		return fmt.Errorf("pod exited: %v", p.err)
	case <-time.After(30 * time.Second):
		return fmt.Errorf("no %q line within 30s", "rhizome listening")
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := hc.Get(p.URL("/_health"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /_health: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *Pod) URL(path string) string { return "http://" + p.Addr + path }

// Kill SIGKILLs the pod and waits for it to be gone.
func (p *Pod) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("pod did not die after SIGKILL")
	}
}

// Stop sends SIGTERM and requires a clean exit.
func (p *Pod) Stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(40 * time.Second):
		p.Kill()
		p.t.Fatalf("pod did not stop within 40s of SIGTERM\n%s", p.Logs)
	}
	if p.err != nil {
		p.t.Fatalf("pod exited uncleanly after SIGTERM: %v\n%s", p.err, p.Logs)
	}
}

// logTail keeps the last part of a process's output for failure messages.
type logTail struct {
	mu  sync.Mutex
	buf []byte
}

const maxLogTail = 256 << 10

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if len(l.buf) > maxLogTail {
		l.buf = append([]byte(nil), l.buf[len(l.buf)-maxLogTail/2:]...)
	}
	return len(p), nil
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}

// RunOnce runs the binary to completion with a timeout, returning its
// combined output and exit error.
func RunOnce(ctx context.Context, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = Env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// moduleRoot finds the directory holding go.mod above the working
// directory (the test package's folder).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}
