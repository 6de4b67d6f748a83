package firehose

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Crawlers asks relays to crawl the pod (com.atproto.sync.requestCrawl):
// at start-up, and again when the pod has new events after being idle.
// A failed request is retried with exponential back-off. Each relay is
// asked at most once per Interval while requests succeed, which keeps the
// pod well under relays' per-host limits.
type Crawlers struct {
	Relays   []string // base URLs
	Hostname string   // the pod's public host name
	HTTP     *http.Client
	Log      *slog.Logger
	// Interval is both the idle time after which new events trigger a
	// request and the least time between two requests (default 20 min).
	Interval time.Duration
	// Retry is the first retry delay after a failure (default 10 s); it
	// doubles up to MaxBackoff (default 1 h).
	Retry      time.Duration
	MaxBackoff time.Duration

	subs []chan struct{} // one per relay, fed by Notify
}

// NewCrawlers returns a Crawlers for the relays; run it with Run.
func NewCrawlers(relays []string, hostname string, client *http.Client, log *slog.Logger) *Crawlers {
	c := &Crawlers{Relays: relays, Hostname: hostname, HTTP: client, Log: log}
	for range relays {
		c.subs = append(c.subs, make(chan struct{}, 1))
	}
	return c
}

// Notify records that events were appended; it never blocks.
func (c *Crawlers) Notify() {
	for _, ch := range c.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Run keeps every relay informed until ctx ends.
func (c *Crawlers) Run(ctx context.Context) {
	if c.Interval <= 0 {
		c.Interval = 20 * time.Minute
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Hour
	}
	if c.Retry <= 0 {
		c.Retry = 10 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	for i, r := range c.Relays {
		go c.follow(ctx, strings.TrimRight(r, "/"), c.subs[i])
	}
	<-ctx.Done()
}

// follow asks one relay to crawl now, then after each quiet spell that
// ends with activity.
func (c *Crawlers) follow(ctx context.Context, relay string, activity <-chan struct{}) {
	for {
		select { // what happened before this request is covered by it
		case <-activity:
		default:
		}
		c.request(ctx, relay)
		// Ask again only once there is news and the interval has passed.
		if !sleep(ctx, c.Interval) || !wait(ctx, activity) {
			return
		}
	}
}

// request asks relay to crawl, retrying with back-off until it succeeds.
func (c *Crawlers) request(ctx context.Context, relay string) {
	delay := c.Retry
	for {
		err := c.requestOnce(ctx, relay)
		if err == nil {
			c.Log.Info("asked relay to crawl", "relay", relay)
			return
		}
		c.Log.Warn("requestCrawl failed", "relay", relay, "err", err, "retry_in", delay)
		if !sleep(ctx, delay) {
			return
		}
		delay = min(2*delay, c.MaxBackoff)
	}
}

func (c *Crawlers) requestOnce(ctx context.Context, relay string) error {
	body, _ := json.Marshal(map[string]string{"hostname": c.Hostname})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, relay+"/xrpc/com.atproto.sync.requestCrawl", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("relay answered %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func wait(ctx context.Context, ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}
