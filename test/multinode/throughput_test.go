package multinode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// BenchmarkNodes_Throughput measures createRecord and getRecord with
// rhizome bench against one node on SQLite, one node on PostgreSQL and
// two nodes on PostgreSQL (one bench process per node at once, half the
// clients each, summed), in one run, and reports each as a ratio to
// SQLite. RHIZOME_BENCH_OPS (default 2000) and RHIZOME_BENCH_CLIENTS
// (default 8) set the calls per phase and the clients in all.
func BenchmarkNodes_Throughput(b *testing.B) {
	ops, clients := envInt(b, "RHIZOME_BENCH_OPS", 2000), envInt(b, "RHIZOME_BENCH_CLIENTS", 8)
	bin := podtest.Binary(b)
	setups := []struct {
		name, key string
		urls      func() []string
	}{
		{"sqlite, 1 node", "sqlite", func() []string { return []string{sqlitePod(b, bin)} }},
		{"postgres, 1 node", "pg1", func() []string { return clusterURLs(startCluster(b, 1, "off")) }},
		{"postgres, 2 nodes", "pg2", func() []string { return clusterURLs(startCluster(b, 2, "off")) }},
	}
	var rates [][2]float64
	for _, s := range setups {
		r := benchNodes(b, bin, s.urls(), ops, clients)
		rates = append(rates, r)
		b.ReportMetric(r[0], "create/s-"+s.key)
		b.ReportMetric(r[1], "get/s-"+s.key)
	}
	b.Logf("%d calls per phase, %d clients in all", ops, clients)
	b.Logf("| | createRecord/s | ratio | getRecord/s | ratio |")
	for i, s := range setups {
		b.Logf("| %s | %.0f | %.2f | %.0f | %.2f |", s.name, rates[i][0], rates[i][0]/rates[0][0], rates[i][1], rates[i][1]/rates[0][1])
	}
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 2 {
		b.Fatalf("%s=%q: want a whole number of at least 2", name, s)
	}
	return n
}

// sqlitePod starts one node on the default stores (SQLite and disk).
func sqlitePod(b *testing.B, bin string) string {
	dir, addr := b.TempDir(), podtest.FreeAddr(b)
	p := podtest.StartArgs(b, bin, addr, []string{"serve", "--data", dir, "--listen", addr, "--plc-url", "embedded", "--rate-limits", "off"})
	b.Cleanup(func() { stopNode(b, 1, p) })
	return "http://" + addr
}

func clusterURLs(c *cluster) []string {
	var urls []string
	for _, n := range c.nodes {
		urls = append(urls, "http://"+n.Addr)
	}
	return urls
}

// benchPhase is one phase of rhizome bench -json.
type benchPhase struct {
	Name    string
	OK      int
	Errors  int
	Seconds float64
}

// benchNodes runs one rhizome bench per URL at once, splitting ops and
// clients evenly, and returns createRecord and getRecord calls per second
// in all: the calls of every process over the longest process's time.
func benchNodes(b *testing.B, bin string, urls []string, ops, clients int) [2]float64 {
	b.Helper()
	phases := make([][]benchPhase, len(urls))
	errs := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() { phases[i], errs[i] = runBench(bin, u, ops/len(urls), clients/len(urls)) })
	}
	wg.Wait()
	var out [2]float64
	for p := range out {
		okSum, longest := 0, 0.0
		for i := range urls {
			if errs[i] != nil {
				b.Fatal(errs[i])
			}
			ph := phases[i][p]
			if ph.Errors > 0 || ph.OK == 0 {
				b.Fatalf("%s: %s: %d ok, %d errors", urls[i], ph.Name, ph.OK, ph.Errors)
			}
			okSum, longest = okSum+ph.OK, max(longest, ph.Seconds)
		}
		out[p] = float64(okSum) / longest
	}
	return out
}

// runBench runs rhizome bench -phases create,get and returns its phases.
func runBench(bin, url string, ops, clients int) ([]benchPhase, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "bench", "-url", url, "-phases", "create,get", "-json",
		"-ops", strconv.Itoa(ops), "-concurrency", strconv.Itoa(clients))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("rhizome bench -url %s: %w\n%s", url, err, stderr.Bytes())
	}
	var res struct{ Phases []benchPhase }
	if err := json.Unmarshal(out, &res); err != nil || len(res.Phases) != 2 {
		return nil, fmt.Errorf("rhizome bench -url %s: %d phases in %.300s (%v)", url, len(res.Phases), out, err)
	}
	return res.Phases, nil
}
