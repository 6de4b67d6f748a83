package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/time/rate"

	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/xrpc"
)

// Several nodes: any number of rhizome serve processes on one PostgreSQL
// database and one bucket serve the same accounts. What a node keeps to
// itself is only a cache; what must hold across nodes lives in the
// database: repository heads (compare-and-swap), the event log and its
// sequence, and, here, the firehose wake-ups and the rate limit counts.
// The nodes also share the secrets of the data folder (keyring.key,
// session.secret, plc-rotation.key): copy them from the first node's
// folder to each other node's.

// eventListener is a store that can tell when any node appended events
// (store/postgres, through LISTEN/NOTIFY).
type eventListener interface {
	Listen(ctx context.Context, fn func(), onError func(error)) error
}

// listen wakes the firehose hub whenever any node appends events, until
// ctx ends, if the store can tell; the hub's poll catches the rest.
func (p *pod) listen(ctx context.Context) {
	l, ok := p.store.(eventListener)
	if !ok {
		return
	}
	onError := func(err error) { p.log.Warn("firehose: listening for other nodes' events; reconnecting", "err", err) }
	if err := l.Listen(ctx, p.hub.Notify, onError); err != nil {
		p.log.Warn("firehose: no wake-ups from other nodes; they are seen by polling every second", "err", err)
	}
}

// sharedRates returns the store's shared rate counter, if it has one
// (store/postgres), so rate limits hold across nodes; nil otherwise.
func sharedRates(st store.Store) xrpc.RateCounter {
	if c, ok := st.(xrpc.RateCounter); ok {
		return c
	}
	return nil
}

// repoTurns returns the store's write turns, if it has them
// (store/postgres), so nodes writing one repository take turns; nil
// otherwise.
func repoTurns(st store.Store) pds.RepoTurns {
	if t, ok := st.(pds.RepoTurns); ok {
		return t
	}
	return nil
}

// parseRates parses "IP_PER_SEC[/BURST],WRITES_PER_SEC[/BURST]" over the
// defaults; a rate of 0 turns that limit off.
func parseRates(s string) (xrpc.RateLimits, error) {
	l := xrpc.DefaultRateLimits
	ip, writes, ok := strings.Cut(s, ",")
	if !ok {
		return l, fmt.Errorf("--rate-limits %q: want on, off or IP_PER_SEC[/BURST],WRITES_PER_SEC[/BURST]", s)
	}
	var err error
	if l.PerIP, l.PerIPBurst, err = parseRate(ip, l.PerIPBurst); err != nil {
		return l, fmt.Errorf("--rate-limits %q: %w", s, err)
	}
	if l.Writes, l.WritesBurst, err = parseRate(writes, l.WritesBurst); err != nil {
		return l, fmt.Errorf("--rate-limits %q: %w", s, err)
	}
	return l, nil
}

// parseRate parses "RATE" or "RATE/BURST".
func parseRate(s string, burst int) (rate.Limit, int, error) {
	r, b, hasBurst := strings.Cut(strings.TrimSpace(s), "/")
	v, err := strconv.ParseFloat(r, 64)
	if err != nil || v < 0 {
		return 0, 0, fmt.Errorf("rate %q is not a number of at least 0", r)
	}
	if hasBurst {
		if burst, err = strconv.Atoi(b); err != nil || burst < 1 {
			return 0, 0, fmt.Errorf("burst %q is not a whole number of at least 1", b)
		}
	}
	return rate.Limit(v), burst, nil
}
