package replica

import (
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestReplica_Lag measures how long a write acknowledged by the primary
// takes to reach the replica's head (getLatestCommit polled every 10 ms, so figures are ±10 ms)
// under a steady 200 writes/s ($REPLICA_LAG_SECONDS, default 10 s).
func TestReplica_Lag(t *testing.T) {
	secs := 10
	if s, err := strconv.Atoi(os.Getenv("REPLICA_LAG_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	w := newWorld(t)
	a, b := w.pod(), w.pod()
	ca, cb := podtest.NewClient(a.Pod), podtest.NewClient(b.Pod)
	acct := w.create(a, "carol")
	if r := w.replicate(b, "add", acct.DID, "--from", a.URL("")); r.Code != 0 {
		t.Fatalf("replicate add: exit %d\n%s", r.Code, r.Stderr)
	}
	l := newLedger()

	type ack struct {
		rev string
		at  time.Time
	}
	var mu sync.Mutex
	var acks []ack
	var seen []ack // replica head rev and when it was first seen
	stop := make(chan struct{})
	var pollWG sync.WaitGroup
	pollWG.Add(1)
	go func() {
		defer pollWG.Done()
		last := ""
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, rev, ok := head(cb, acct.DID); ok && rev != last {
				last = rev
				mu.Lock()
				seen = append(seen, ack{rev, time.Now()})
				mu.Unlock()
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()

	const rate = 200
	total := rate * secs
	jobs := make(chan struct{}, total)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := &writer{t: t, c: ca, a: acct, l: l}
			for range jobs {
				_, out := wr.create()
				mu.Lock()
				acks = append(acks, ack{out.Commit.Rev, time.Now()})
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	tick := time.NewTicker(time.Second / rate)
	for i := 0; i < total; i++ {
		<-tick.C
		jobs <- struct{}{}
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	waitRev(t, cb, acct.DID, l.lastRev, 60*time.Second)
	time.Sleep(50 * time.Millisecond)
	close(stop)
	pollWG.Wait()

	// Each ack's lag: from the ack to the first poll whose head rev is at
	// least the ack's rev (revs are TIDs: they sort in commit order).
	var lags []time.Duration
	for _, k := range acks {
		i := sort.Search(len(seen), func(i int) bool { return seen[i].rev >= k.rev })
		if i == len(seen) {
			t.Fatalf("the replica never reached rev %s", k.rev)
		}
		d := seen[i].at.Sub(k.at)
		if d < 0 {
			d = 0 // seen before the client had the ack back
		}
		lags = append(lags, d)
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	p := func(q float64) time.Duration { return lags[int(q*float64(len(lags)-1))] }
	t.Logf("replica lag over %d writes at %.0f writes/s achieved (target %d/s): p50 %v, p90 %v, p99 %v, max %v",
		len(lags), float64(len(acks))/elapsed.Seconds(), rate, p(0.5), p(0.9), p(0.99), lags[len(lags)-1])
	if len(lags) != total {
		t.Fatalf("%d writes acknowledged; want %d", len(lags), total)
	}
	sameAsPrimary(t, w, ca, cb, acct.DID, l)
}
