package multinode

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// load is the outcome of writers creating records through several nodes:
// the acknowledged writes, every record attempted, and the failures per
// node.
type load struct {
	mu        sync.Mutex
	acks      []ack
	attempted map[string]bool // collection/rkey of every createRecord sent
	failed    map[int]int     // node → requests that were not acknowledged
	reasons   map[string]int  // why, e.g. "node 2: 503 InternalServerError"
	slowest   time.Duration   // the longest a failed request took
}

func newLoad() *load {
	return &load{attempted: map[string]bool{}, failed: map[int]int{}, reasons: map[string]int{}}
}

// run starts writers (writer w uses node w % len(nodes)) creating records
// in a's repository until ctx ends, and returns when they all have.
func (l *load) run(ctx context.Context, c *cluster, a account, writers int, prefix string) {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() { l.write(ctx, c, a, w%len(c.nodes), fmt.Sprintf("%s%02d", prefix, w)) })
	}
	wg.Wait()
}

// write is one writer's loop. After a failure it pauses a little, so a
// node that refuses connections is not hammered.
func (l *load) write(ctx context.Context, c *cluster, a account, node int, name string) {
	for i := 0; ctx.Err() == nil; i++ {
		rkey := fmt.Sprintf("%s-%05d", name, i)
		l.mu.Lock()
		l.attempted["com.example.note/"+rkey] = true
		l.mu.Unlock()
		start := time.Now()
		got, xerr, err := createRecord(context.Background(), c.clients[node], a, node+1, rkey)
		if err == nil && xerr == "" {
			l.keep(got)
			continue
		}
		l.fail(node, time.Since(start), xerr, err)
		time.Sleep(20 * time.Millisecond)
	}
}

func (l *load) keep(w ack) {
	l.mu.Lock()
	l.acks = append(l.acks, w)
	l.mu.Unlock()
}

func (l *load) fail(node int, took time.Duration, xerr string, err error) {
	why := "XRPC error " + xerr
	if err != nil {
		why = "no answer"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed[node+1]++
	l.reasons[fmt.Sprintf("node %d: %s", node+1, why)]++
	l.slowest = max(l.slowest, took)
}

// ackedSince counts the writes acknowledged by node (1-based) after t0.
func (l *load) ackedSince(node int, t0 time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, w := range l.acks {
		if w.node == node && w.requested.After(t0) {
			n++
		}
	}
	return n
}

// loadSeconds is how long the concurrency test writes:
// RHIZOME_MULTINODE_SECONDS, 10 by default.
func loadSeconds(t *testing.T) time.Duration {
	s := os.Getenv("RHIZOME_MULTINODE_SECONDS")
	if s == "" {
		return 10 * time.Second
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		t.Fatalf("RHIZOME_MULTINODE_SECONDS=%q: want a positive number of seconds", s)
	}
	return time.Duration(n * float64(time.Second))
}

// checkSuperset checks a's repository through client: it verifies
// against the account's key, holds every acknowledged write as
// acknowledged, and nothing but records that were attempted (a write
// whose answer was lost may or may not have landed). It returns the
// repository's records.
func checkSuperset(t *testing.T, client *podtest.Client, key *podtest.Client, a account, l *load) map[string]string {
	t.Helper()
	got := verifyCAR(t, getRepo(t, client, a.did), a.did, signingKey(t, key, a.did))
	for _, w := range l.acks {
		if p := podtest.URIPath(w.uri); got[p] != w.cid {
			t.Errorf("acknowledged record %s is %q in the repository, acknowledged as %s", p, got[p], w.cid)
		}
	}
	extra := 0
	for k := range got {
		if !l.attempted[k] {
			t.Errorf("record %s is in the repository but was never written", k)
		}
		extra++
	}
	t.Logf("the repository verifies: %d records, %d acknowledged, %d whose answer was lost but landed",
		len(got), len(l.acks), extra-len(l.acks))
	return got
}

// ackedCommits indexes acknowledged writes by commit CID.
func ackedCommits(acks []ack) map[string]ack {
	m := map[string]ack{}
	for _, w := range acks {
		m[w.commit] = w
	}
	return m
}

// repoStream returns the events of f once it holds every acknowledged
// commit of a, and checks that their sequence has no gap.
func repoStream(t *testing.T, f *follower, a account, acks []ack, within time.Duration) []event {
	t.Helper()
	byCommit := ackedCommits(acks)
	evs := f.waitFor(t, within, "every acknowledged commit", func(evs []event) bool {
		n := 0
		for _, e := range evs {
			if _, ok := byCommit[e.commit]; ok && e.repo == a.did {
				n++
			}
		}
		return n == len(byCommit)
	})
	for i, e := range evs {
		if i > 0 && e.seq != evs[i-1].seq+1 {
			t.Fatalf("event %d has seq %d after %d: a gap", i, e.seq, evs[i-1].seq)
		}
	}
	return evs
}

// repoCommits are the #commit events of a's repository.
func repoCommits(evs []event, a account) []event {
	var out []event
	for _, e := range evs {
		if e.typ == "#commit" && e.repo == a.did {
			out = append(out, e)
		}
	}
	return out
}

// checkLinear checks that commits are one chain: each commit's since is
// the previous commit's rev and revs strictly increase.
func checkLinear(t *testing.T, commits []event) {
	t.Helper()
	for i, e := range commits {
		if i > 0 && (e.rev <= commits[i-1].rev || e.since != commits[i-1].rev) {
			t.Fatalf("commit %d (seq %d): rev %s since %s after rev %s: not one linear history", i, e.seq, e.rev, e.since, commits[i-1].rev)
		}
	}
}

// checkSame checks that two nodes' streams hold the same events, seq for
// seq and byte for byte, over the seqs both cover, and end at the same
// seq.
func checkSame(t *testing.T, x, y []event) {
	t.Helper()
	if len(x) == 0 || len(y) == 0 {
		t.Fatalf("empty stream: %d and %d events", len(x), len(y))
	}
	if x[len(x)-1].seq != y[len(y)-1].seq {
		t.Fatalf("the streams end at seq %d and %d", x[len(x)-1].seq, y[len(y)-1].seq)
	}
	first := max(x[0].seq, y[0].seq)
	x, y = x[first-x[0].seq:], y[first-y[0].seq:]
	if len(x) != len(y) {
		t.Fatalf("over seqs %d.., %d and %d events", first, len(x), len(y))
	}
	for i := range x {
		if x[i].seq != y[i].seq || string(x[i].raw) != string(y[i].raw) {
			t.Fatalf("seq %d differs between the nodes (%s %d bytes, %s %d bytes)", x[i].seq, x[i].typ, len(x[i].raw), y[i].typ, len(y[i].raw))
		}
	}
	t.Logf("seqs %d-%d (%d events) identical on both nodes", first, x[len(x)-1].seq, len(x))
}

// health reports whether a node answers describeServer.
func health(c *podtest.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := c.Query(ctx, "com.atproto.server.describeServer", url.Values{})
	if err == nil && !r.OK() {
		err = fmt.Errorf("describeServer: %s", r)
	}
	return err
}
