package multinode

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// Writes per account are limited to 400 in a window of 400,000 s (4.6
// days, so the test never straddles two): account A's writes stay under
// it, account B is pushed over it.
const (
	writeLimit  = 400
	nodeLimits  = "0,0.001/400"
	creates     = 300
	swapRounds  = 10
	maxEventLag = 200 * time.Millisecond
)

func TestNodes_OnePod(t *testing.T) {
	c := startCluster(t, 3, nodeLimits)
	a := createAccount(t, c.clients[0], "alice")
	b := createAccount(t, c.clients[0], "bob")
	stream := follow(t, c.nodes[2].Addr)
	start := time.Now()
	acks, raceWins := writeEverywhere(t, c, a)
	took := time.Since(start)
	t.Logf("%d writes to one repository through 3 nodes in %v (%.0f/s)", len(acks), took.Round(time.Millisecond), float64(len(acks))/took.Seconds())
	t.Run("every acknowledged write, one linear history", func(t *testing.T) {
		checkRepo(t, c, a, acks)
	})
	t.Run("the firehose of node 3 has every event, in order, promptly", func(t *testing.T) {
		checkStream(t, stream, a, acks)
	})
	t.Run("swapCommit races: at most one winner, the rest InvalidSwap", func(t *testing.T) {
		t.Logf("%d of %d swapCommit races run during the writes had a winner", raceWins, swapRounds)
		quietSwapRound(t, c, a)
	})
	t.Run("a blob uploaded on node 1 is served by node 2", func(t *testing.T) {
		checkBlobs(t, c, a)
	})
	t.Run("write limits hold across nodes", func(t *testing.T) {
		checkRateLimit(t, c, b)
	})
}

// writeEverywhere writes creates createRecords to a's repository, two
// writers per node, while swapCommit races run alongside; it returns the
// acknowledged writes and how many swap races were won.
func writeEverywhere(t *testing.T, c *cluster, a account) ([]ack, int) {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	var acks []ack
	keep := func(w ack) { mu.Lock(); acks = append(acks, w); mu.Unlock() }
	var wg sync.WaitGroup
	const writers = 6
	for w := range writers {
		node := w % len(c.nodes)
		wg.Go(func() {
			for i := range creates / writers {
				got, name, err := createRecord(ctx, c.clients[node], a, node+1, fmt.Sprintf("w%d-%03d", w, i))
				if err != nil || name != "" {
					t.Errorf("node %d: createRecord: %v %s", node+1, err, name)
					return
				}
				keep(got)
			}
		})
	}
	var wins int
	wg.Go(func() { wins = swapRaces(t, c, a, keep) })
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return acks, wins
}

// swapRaces runs rounds of three applyWrites, one per node, with the same
// swapCommit: at most one may win, the others must be InvalidSwap.
func swapRaces(t *testing.T, c *cluster, a account, keep func(ack)) int {
	wins := 0
	for round := range swapRounds {
		head, _ := latestCommit(t, c.clients[0], a.did)
		won, err := swapRound(c, a, fmt.Sprintf("race%02d", round), head, keep)
		if err != nil {
			t.Error(err)
			return wins
		}
		if won > 1 {
			t.Errorf("round %d: %d applyWrites won the same swapCommit", round, won)
		}
		wins += won
	}
	return wins
}

// swapRound sends one applyWrites with swapCommit head through each node
// at once and returns how many won.
func swapRound(c *cluster, a account, prefix, head string, keep func(ack)) (int, error) {
	var wg sync.WaitGroup
	names := make([]string, len(c.nodes))
	errs := make([]error, len(c.nodes))
	for n := range c.nodes {
		wg.Go(func() {
			var w ack
			w, names[n], errs[n] = applyWrites(context.Background(), c.clients[n], a, n+1, fmt.Sprintf("%s-n%d", prefix, n), head)
			if errs[n] == nil && names[n] == "" {
				keep(w)
			}
		})
	}
	wg.Wait()
	won := 0
	for n := range c.nodes {
		switch {
		case errs[n] != nil:
			return 0, errs[n]
		case names[n] == "":
			won++
		case names[n] != "InvalidSwap":
			return 0, fmt.Errorf("node %d: applyWrites with swapCommit failed with %s, want InvalidSwap", n+1, names[n])
		}
	}
	return won, nil
}

func quietSwapRound(t *testing.T, c *cluster, a account) {
	head, _ := latestCommit(t, c.clients[1], a.did)
	won, err := swapRound(c, a, "quiet", head, func(ack) {})
	if err != nil || won != 1 {
		t.Fatalf("with no other writes, %d applyWrites won the same swapCommit (%v), want 1", won, err)
	}
}

// checkRepo checks a's repository through node 2 and the last node: the CAR
// verifies against the account's key and holds exactly the acknowledged
// records, and listRecords agrees.
func checkRepo(t *testing.T, c *cluster, a account, acks []ack) {
	want := map[string]string{}
	for _, w := range acks {
		want[podtest.URIPath(w.uri)] = w.cid
	}
	got := verifyCAR(t, getRepo(t, c.clients[len(c.clients)-1], a.did), a.did, signingKey(t, c.clients[0], a.did))
	listed := map[string]string{}
	c.clients[1].ListCollection(t, a.did, "com.example.note", listed)
	for name, m := range map[string]map[string]string{"getRepo": got, "listRecords": listed} {
		if len(m) != len(want) {
			t.Errorf("%s holds %d records, %d writes were acknowledged", name, len(m), len(want))
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s: record %s is %q, the write was acknowledged with %s", name, k, m[k], v)
			}
		}
	}
	t.Logf("%d writes acknowledged through %d nodes; the repository verifies and holds each", len(acks), len(c.nodes))
}

// checkStream waits until node 3's stream has the commit of every
// acknowledged write and checks it: gap-free sequence, one linear
// history (each commit's since is the previous commit's rev, revs
// strictly increase, no commit but the acknowledged ones), and how soon
// the commits written through nodes 1 and 2 arrived.
func checkStream(t *testing.T, f *follower, a account, acks []ack) {
	byCommit := map[string]ack{}
	for _, w := range acks {
		byCommit[w.commit] = w
	}
	evs := f.waitFor(t, 10*time.Second, "every acknowledged commit", func(evs []event) bool {
		n := 0
		for _, e := range evs {
			if _, ok := byCommit[e.commit]; ok && e.repo == a.did {
				n++
			}
		}
		return n == len(byCommit)
	})
	var commits []event
	for i, e := range evs {
		if i > 0 && e.seq != evs[i-1].seq+1 {
			t.Fatalf("event %d has seq %d after %d: a gap", i, e.seq, evs[i-1].seq)
		}
		if e.typ == "#commit" && e.repo == a.did {
			commits = append(commits, e)
		}
	}
	checkHistory(t, commits, byCommit)
	checkLag(t, commits, byCommit)
}

// checkHistory checks that the commits form one chain of acknowledged
// commits.
func checkHistory(t *testing.T, commits []event, byCommit map[string]ack) {
	for i, e := range commits {
		if _, ok := byCommit[e.commit]; !ok {
			t.Errorf("commit %s (rev %s) on the stream was never acknowledged: a fork or a lost write", e.commit, e.rev)
		}
		if i > 0 && (e.rev <= commits[i-1].rev || e.since != commits[i-1].rev) {
			t.Fatalf("commit %d: rev %s since %s after rev %s: not one linear history", i, e.rev, e.since, commits[i-1].rev)
		}
	}
	if len(commits) != len(byCommit) {
		t.Errorf("%d commits on the stream, %d acknowledged", len(commits), len(byCommit))
	}
}

// checkLag measures, for commits written through nodes 1 and 2, the time
// from the write's acknowledgement to the event's arrival on node 3.
// Lags are measured from the acknowledgement (an event may arrive before
// the client has read the answer: those count as 0) and, as an upper
// bound, from the request.
func checkLag(t *testing.T, commits []event, byCommit map[string]ack) {
	var lags, fromRequest []time.Duration
	for _, e := range commits {
		w := byCommit[e.commit]
		if w.node == 1 || w.node == 2 {
			lags = append(lags, max(0, e.at.Sub(w.at)))
			fromRequest = append(fromRequest, e.at.Sub(w.requested))
		}
	}
	if len(lags) == 0 {
		t.Fatal("no commits written through nodes 1 and 2")
	}
	p50, p99, top := quantiles(lags)
	r50, r99, rtop := quantiles(fromRequest)
	t.Logf("events written on nodes 1-2, seen on node 3 (n=%d): after the acknowledgement p50=%v p99=%v max=%v; after the request p50=%v p99=%v max=%v",
		len(lags), p50, p99, top, r50, r99, rtop)
	if p99 > maxEventLag {
		t.Errorf("p99 lag %v, want at most %v", p99, maxEventLag)
	}
}

func quantiles(ds []time.Duration) (p50, p99, top time.Duration) {
	slices.Sort(ds)
	q := func(f float64) time.Duration { return ds[int(f*float64(len(ds)-1))].Round(10 * time.Microsecond) }
	return q(0.5), q(0.99), ds[len(ds)-1].Round(10 * time.Microsecond)
}

// checkBlobs uploads blobs through node 1, one referenced by a record and
// one large enough for a multipart upload, and reads them through node 2.
func checkBlobs(t *testing.T, c *cluster, a account) {
	for _, size := range []int{3000, 9 << 20} {
		data := bytes.Repeat([]byte(fmt.Sprintf("blob of %d bytes;", size)), size/16+1)[:size]
		blob := uploadBlob(t, c.clients[0], a, data)
		ref, _ := blob["ref"].(map[string]any)
		link, _ := ref["$link"].(string)
		in := map[string]any{"repo": a.did, "collection": "com.example.photo",
			"record": map[string]any{"$type": "com.example.photo", "image": blob}}
		c.clients[0].MustCall(t, "com.atproto.repo.createRecord", a.access, in, nil)
		if got := getBlob(t, c.clients[1], a.did, link); !bytes.Equal(got, data) {
			t.Fatalf("node 2 serves %d bytes for the %d-byte blob uploaded on node 1", len(got), size)
		}
	}
	var listed struct{ CIDs []string }
	c.clients[2].MustQuery(t, "com.atproto.sync.listBlobs", url.Values{"did": {a.did}}, &listed)
	if len(listed.CIDs) != 2 {
		t.Fatalf("node 3 lists %d blobs, want 2", len(listed.CIDs))
	}
}

// checkRateLimit sends more writes than the limit, spread over the three
// nodes: exactly the limit may pass in all (each node alone would let
// every one through), at most a few leased tokens short of it, and every
// other is RateLimitExceeded.
func checkRateLimit(t *testing.T, c *cluster, b account) {
	const sent = 450
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for w := range 9 {
		node := w % 3
		wg.Go(func() {
			for i := range sent / 9 {
				in := map[string]any{"repo": b.did, "collection": "com.example.note", "rkey": fmt.Sprintf("absent-%d-%d", w, i)}
				r, err := c.clients[node].Post(context.Background(), "com.atproto.repo.deleteRecord", b.access, in)
				mu.Lock()
				switch {
				case err != nil:
					counts["error: "+err.Error()]++
				case r.OK():
					counts["ok"]++
				default:
					counts[r.ErrName()]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("%d writes through 3 nodes with a limit of %d: %v", sent, writeLimit, counts)
	// Each node leases writeLimit/16 tokens at a time: at most one
	// lease per node may be left unspent.
	if counts["ok"] > writeLimit || counts["ok"] < writeLimit-3*(writeLimit/16) ||
		counts["ok"]+counts["RateLimitExceeded"] != sent {
		t.Fatalf("admitted %v; want at most %d, at least %d, the rest RateLimitExceeded", counts, writeLimit, writeLimit-3*(writeLimit/16))
	}
}
