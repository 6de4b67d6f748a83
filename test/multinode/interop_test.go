package multinode

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestInterop_TwoNodes runs the interop suite (test/interop, the official
// @atproto/api client) against two nodes on PostgreSQL and S3 behind a
// round-robin proxy on loopback, so that consecutive requests alternate
// between the nodes. It needs Node.js and test/interop's npm packages
// (test/interop/run installs them; make test runs it first).
func TestInterop_TwoNodes(t *testing.T) {
	dir := interopDir(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	c := startClusterOn(t, freshDB(t), public, 2, "off")
	rr := newRoundRobin(t, c)
	srv := &http.Server{Handler: rr}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	files, _ := filepath.Glob(filepath.Join(dir, "*.test.mjs"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{"--test", "--test-timeout=120000"}, files...)...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "POD_URL="+public)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the interop suite failed against two nodes: %v\n%s", err, out)
	}
	counts := rr.counts()
	t.Logf("interop suite passed through %s; requests per node: %v", public, counts)
	for i, n := range counts {
		if n < 10 {
			t.Errorf("node %d served %d requests: the requests did not alternate", i+1, n)
		}
	}
}

// interopDir is test/interop, failing the test when Node.js or its
// packages are missing.
func interopDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("the interop suite needs Node.js >= 20 on PATH")
	}
	dir, err := filepath.Abs(filepath.Join("..", "interop"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@atproto", "api")); err != nil {
		t.Fatalf("the interop suite's npm packages are missing (%v): run test/interop/run once, or npm ci in %s", err, dir)
	}
	return dir
}

// roundRobin is a reverse proxy sending each request (and each websocket)
// to the next node in turn.
type roundRobin struct {
	targets []*url.URL
	next    atomic.Uint64
	mu      sync.Mutex
	served  []int
	proxy   *httputil.ReverseProxy
}

func newRoundRobin(t *testing.T, c *cluster) *roundRobin {
	rr := &roundRobin{served: make([]int, len(c.nodes))}
	for _, n := range c.nodes {
		u, err := url.Parse("http://" + n.Addr)
		if err != nil {
			t.Fatal(err)
		}
		rr.targets = append(rr.targets, u)
	}
	rr.proxy = &httputil.ReverseProxy{Rewrite: rr.rewrite, FlushInterval: -1}
	return rr
}

func (rr *roundRobin) rewrite(r *httputil.ProxyRequest) {
	i := int(rr.next.Add(1)-1) % len(rr.targets)
	rr.mu.Lock()
	rr.served[i]++
	rr.mu.Unlock()
	r.SetURL(rr.targets[i])
	r.Out.Host = r.In.Host // the nodes see the pod's public host
	r.SetXForwarded()
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) { rr.proxy.ServeHTTP(w, r) }

func (rr *roundRobin) counts() []int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]int(nil), rr.served...)
}
