package xrpc

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateCounter keeps request counts that every node of a pod shares, in
// fixed time windows per key. store/postgres implements it.
type RateCounter interface {
	// AddRate adds n to the count of key in the window ending at end and
	// returns the count after adding.
	AddRate(ctx context.Context, key string, end time.Time, n int64) (int64, error)
	// TrimRates forgets the windows that ended before cutoff.
	TrimRates(ctx context.Context, cutoff time.Time) (int, error)
}

// sharedLimiter enforces the limits with counts in a RateCounter, so they
// hold across nodes. A token bucket of rate r and burst b becomes a fixed
// window of b/r seconds admitting b requests: the same long-run rate, and
// bursts of up to b (2b across a window boundary).
//
// Asking the counter for every request would cost each request a round
// trip, so a node leases tokens in chunks (1/16 of the window's limit)
// and spends them locally. A lease is taken by adding the chunk to the
// shared count; the part of it that fits under the limit is granted, so
// the nodes together never admit more than the limit in a window, and
// tokens leased but unspent when the window ends are lost (at most a
// chunk per node). With a limit under 32 every request asks the counter.
//
// When the counter cannot be reached the request is admitted (and the
// failure logged, at most every 10 s): the store it lives in is then
// failing the request's real work anyway.
type sharedLimiter struct {
	c   RateCounter
	max int // leases tracked before the map is cleared
	now func() time.Time

	mu      sync.Mutex
	leases  map[string]*lease
	trimmed time.Time // when ended windows were last trimmed
	warned  time.Time
}

// lease is a node's unspent tokens of one key's current window.
type lease struct {
	end  time.Time
	left int64
	out  bool // the shared count has reached the limit
}

// Timing of the shared limiter's housekeeping and calls.
const (
	rateTrimEvery = time.Minute
	rateCallLimit = 2 * time.Second
	rateWarnEvery = 10 * time.Second
)

func newSharedLimiter(c RateCounter, max int) *sharedLimiter {
	return &sharedLimiter{c: c, max: max, now: time.Now, leases: map[string]*lease{}}
}

// windowOf turns a token bucket into a fixed window: its limit and
// length (at least a second).
func windowOf(r rate.Limit, burst int) (limit int64, window time.Duration) {
	window = time.Duration(float64(burst) / float64(r) * float64(time.Second))
	return int64(burst), max(window, time.Second).Truncate(time.Millisecond)
}

func (l *sharedLimiter) allow(key string, r rate.Limit, burst int) error {
	limit, window := windowOf(r, burst)
	if limit <= 0 {
		return errRateLimited()
	}
	now := l.now()
	end := now.Truncate(window).Add(window)
	key = strconv.FormatInt(window.Milliseconds(), 10) + "ms/" + key
	l.housekeep(now)
	if ok, done := l.spend(key, end); done {
		return okOrLimited(ok)
	}
	return okOrLimited(l.lease(key, end, limit))
}

func okOrLimited(ok bool) error {
	if !ok {
		return errRateLimited()
	}
	return nil
}

// spend uses a leased token of key's window ending at end: done is false
// when the node holds none and the window is not known to be used up.
func (l *sharedLimiter) spend(key string, end time.Time) (ok, done bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ls := l.leases[key]
	switch {
	case ls == nil || !ls.end.Equal(end):
		return false, false
	case ls.left > 0:
		ls.left--
		return true, true
	}
	return false, ls.out
}

// lease takes a chunk of tokens from the shared count and spends one.
func (l *sharedLimiter) lease(key string, end time.Time, limit int64) bool {
	chunk := max(1, limit/16)
	ctx, cancel := context.WithTimeout(context.Background(), rateCallLimit)
	n, err := l.c.AddRate(ctx, key, end, chunk)
	cancel()
	if err != nil {
		l.warn("rate limit: the shared counter failed; admitting the request", err)
		return true
	}
	granted := min(chunk, max(0, limit-(n-chunk)))
	l.mu.Lock()
	defer l.mu.Unlock()
	ls := l.leases[key]
	if ls == nil || !ls.end.Equal(end) {
		if len(l.leases) >= l.max {
			clear(l.leases)
		}
		ls = &lease{end: end}
		l.leases[key] = ls
	}
	ls.left += granted
	ls.out = ls.out || granted < chunk
	if ls.left == 0 {
		return false
	}
	ls.left--
	return true
}

// housekeep drops leases of ended windows and, in the background, the
// shared counts of windows that ended over a minute ago, once a minute.
func (l *sharedLimiter) housekeep(now time.Time) {
	l.mu.Lock()
	if now.Sub(l.trimmed) < rateTrimEvery {
		l.mu.Unlock()
		return
	}
	l.trimmed = now
	for k, ls := range l.leases {
		if !ls.end.After(now) {
			delete(l.leases, k)
		}
	}
	l.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*rateCallLimit)
		defer cancel()
		if _, err := l.c.TrimRates(ctx, now.Add(-rateTrimEvery)); err != nil {
			l.warn("rate limit: trimming the shared counter failed", err)
		}
	}()
}

// warn logs err, at most once every rateWarnEvery.
func (l *sharedLimiter) warn(msg string, err error) {
	l.mu.Lock()
	now := l.now()
	quiet := now.Sub(l.warned) < rateWarnEvery
	if !quiet {
		l.warned = now
	}
	l.mu.Unlock()
	if !quiet {
		slog.Default().Warn(msg, "err", err)
	}
}
