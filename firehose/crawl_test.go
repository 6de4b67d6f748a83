package firehose

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// relay is a loopback stand-in for a relay that records requestCrawl
// calls and fails the first few.
type relay struct {
	mu    sync.Mutex
	hosts []string
	times []time.Time
	fail  int
}

func (r *relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Method != http.MethodPost || req.URL.Path != "/xrpc/com.atproto.sync.requestCrawl" {
		http.Error(w, "wrong call", http.StatusBadRequest)
		return
	}
	var body struct{ Hostname string }
	b, _ := io.ReadAll(req.Body)
	json.Unmarshal(b, &body)
	r.hosts = append(r.hosts, body.Hostname)
	r.times = append(r.times, time.Now())
	if r.fail > 0 {
		r.fail--
		http.Error(w, `{"error":"RateLimitExceeded"}`, http.StatusTooManyRequests)
		return
	}
	w.Write([]byte("{}"))
}

func (r *relay) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.hosts)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCrawlers_Run(t *testing.T) {
	ok, flaky := &relay{}, &relay{fail: 2}
	s1, s2 := httptest.NewServer(ok), httptest.NewServer(flaky)
	defer s1.Close()
	defer s2.Close()
	c := NewCrawlers([]string{s1.URL + "/", s2.URL}, "pod.example", s1.Client(), slog.New(slog.DiscardHandler))
	c.Interval, c.Retry = 150*time.Millisecond, 10*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)

	t.Run("asks every relay at start-up, retrying failures", func(t *testing.T) {
		waitFor(t, "start-up requests", func() bool { return ok.count() == 1 && flaky.count() == 3 })
		flaky.mu.Lock()
		defer flaky.mu.Unlock()
		if gap := flaky.times[2].Sub(flaky.times[1]); gap < 2*flaky.times[1].Sub(flaky.times[0])/3 {
			t.Errorf("retries did not back off: %v then %v", flaky.times[1].Sub(flaky.times[0]), gap)
		}
		if flaky.hosts[0] != "pod.example" || ok.hosts[0] != "pod.example" {
			t.Errorf("hostnames %v %v", ok.hosts, flaky.hosts)
		}
	})
	t.Run("stays quiet while idle", func(t *testing.T) {
		time.Sleep(400 * time.Millisecond)
		if n := ok.count(); n != 1 {
			t.Fatalf("%d requests without activity", n)
		}
	})
	t.Run("asks again after activity, at most once per interval", func(t *testing.T) {
		for range 30 {
			c.Notify()
			time.Sleep(10 * time.Millisecond)
		}
		waitFor(t, "a request after activity", func() bool { return ok.count() >= 2 })
		time.Sleep(400 * time.Millisecond)
		settled := ok.count()
		time.Sleep(300 * time.Millisecond)
		if n := ok.count(); n != settled {
			t.Fatalf("%d requests after activity stopped, want %d", n, settled)
		}
		ok.mu.Lock()
		defer ok.mu.Unlock()
		for i := 1; i < len(ok.times); i++ {
			if gap := ok.times[i].Sub(ok.times[i-1]); gap < c.Interval {
				t.Errorf("requests %d and %d only %v apart", i-1, i, gap)
			}
		}
	})
}
