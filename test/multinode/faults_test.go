package multinode

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestNodes_KillOne SIGKILLs node 2 of 2 while writers on both nodes
// write to one repository: node 1 keeps acknowledging writes, node 2's
// fail; node 2 restarted on the same database serves again; no
// acknowledged write is lost and both nodes serve the same linear,
// gap-free history.
func TestNodes_KillOne(t *testing.T) {
	c := startCluster(t, 2, "off")
	a := createAccount(t, c.clients[0], "dave")
	live := follow(t, c.nodes[0].Addr)
	ctx, cancel := context.WithCancel(context.Background())
	l, done := newLoad(), make(chan struct{})
	go func() { defer close(done); l.run(ctx, c, a, 8, "k") }()
	time.Sleep(1500 * time.Millisecond)
	c.nodes[1].Kill()
	killed := time.Now()
	time.Sleep(2 * time.Second)
	c.restart(t, 1)
	restarted := time.Now()
	waitAcked(t, l, 2, restarted, 15*time.Second)
	cancel()
	<-done
	t.Logf("%d writes acknowledged; not acknowledged: %v", len(l.acks), l.reasons)
	t.Run("node 1 kept serving, node 2 failed while down", func(t *testing.T) {
		if n := l.ackedSince(1, killed); n == 0 || l.failed[1] > 0 {
			t.Errorf("node 1: %d writes acknowledged after the kill, %d failed; want some and none", n, l.failed[1])
		}
		if l.failed[2] == 0 {
			t.Errorf("no write to node 2 failed while it was down")
		}
	})
	t.Run("no acknowledged write lost", func(t *testing.T) {
		checkSuperset(t, c.clients[1], c.clients[0], a, l)
		checkSuperset(t, c.clients[0], c.clients[0], a, l)
	})
	t.Run("both firehoses hold one linear gap-free history, identical", func(t *testing.T) {
		checkReplays(t, c, a, l, live)
	})
}

// restart starts node i (0-based) again with its command line, on the
// same database, data folder and address.
func (c *cluster) restart(t *testing.T, i int) {
	t.Helper()
	c.nodes[i] = podtest.StartArgs(t, podtest.Binary(t), c.nodes[i].Addr, c.args[i])
}

// waitAcked waits until node (1-based) has acknowledged a write requested
// after t0.
func waitAcked(t *testing.T, l *load, node int, t0 time.Time, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); l.ackedSince(node, t0) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Fatalf("node %d acknowledged no write within %v (failures: %v)", node, within, l.reasons)
		}
	}
}

// checkReplays replays every node's firehose from the start and checks
// each is gap-free and holds every acknowledged commit in one linear
// history, that they are identical, and that live (a stream followed
// through the fault) agrees with them.
func checkReplays(t *testing.T, c *cluster, a account, l *load, live *follower) {
	t.Helper()
	var first []event
	for n, node := range c.nodes {
		evs := repoStream(t, followFrom(t, node.Addr, "0"), a, l.acks, 30*time.Second)
		commits := repoCommits(evs, a)
		checkLinear(t, commits)
		if unacked := len(commits) - 1 - len(l.acks); unacked < 0 || unacked > sum(l.failed) {
			t.Errorf("node %d: %d commits after the first, %d acknowledged, %d writes not acknowledged", n+1, len(commits)-1, len(l.acks), sum(l.failed))
		}
		if n == 0 {
			first = evs
			continue
		}
		checkSame(t, first, evs)
	}
	checkSame(t, first, repoStream(t, live, a, l.acks, 30*time.Second))
}

func sum(m map[int]int) int {
	s := 0
	for _, v := range m {
		s += v
	}
	return s
}

// TestNodes_PostgresRestart restarts a private PostgreSQL server while
// writers on two nodes write to one repository: requests fail cleanly
// (XRPC errors, no hang, no dropped connection), succeed again on both
// nodes after, and nothing is half-written.
func TestNodes_PostgresRestart(t *testing.T) {
	pg := startPostgres(t)
	c := startClusterOn(t, pg.url("postgres"), "", 2, "off")
	a := createAccount(t, c.clients[0], "erin")
	live := follow(t, c.nodes[1].Addr)
	ctx, cancel := context.WithCancel(context.Background())
	l, done := newLoad(), make(chan struct{})
	go func() { defer close(done); l.run(ctx, c, a, 8, "p") }()
	time.Sleep(1500 * time.Millisecond)
	pg.restart(t)
	restarted := time.Now()
	waitAcked(t, l, 1, restarted, 20*time.Second)
	waitAcked(t, l, 2, restarted, 20*time.Second)
	cancel()
	<-done
	t.Logf("%d writes acknowledged; not acknowledged: %v; the slowest failure took %v", len(l.acks), l.reasons, l.slowest)
	t.Run("requests failed cleanly", func(t *testing.T) {
		for why := range l.reasons {
			if strings.HasSuffix(why, "no answer") {
				t.Errorf("%s: a request got no answer (%d times)", why, l.reasons[why])
			}
		}
		if l.slowest > 10*time.Second {
			t.Errorf("a failed request took %v", l.slowest)
		}
	})
	t.Run("nothing half-written, no acknowledged write lost", func(t *testing.T) {
		for _, cl := range c.clients {
			checkSuperset(t, cl, c.clients[0], a, l)
		}
	})
	t.Run("both firehoses hold one linear gap-free history, identical", func(t *testing.T) {
		checkReplays(t, c, a, l, live)
	})
}
