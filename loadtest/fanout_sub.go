package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/rhizome-pds/rhizome"
)

const (
	subscribeNSID = "com.atproto.sync.subscribeRepos"
	maxFrameBytes = 16 << 20 // read limit of one message (an applyWrites of 200 creates is far below)
	dialParallel  = 32       // subscribers connecting at once
	dialTimeout   = 30 * time.Second
)

// noDeadline is the context of every frame read: reads end when the
// connection is closed, which spares a timer per message.
var noDeadline = context.Background()

// streamClient is the HTTP client of WebSocket handshakes: no proxy, so
// the tool talks to the URL it was given and nothing else.
func streamClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	}}
}

// subscriber is one subscribeRepos connection and what it has seen. The
// atomics may be read while it runs; the other fields once done is closed.
type subscriber struct {
	conn  *websocket.Conn
	from  *atomic.Int64 // events with a seq above this count toward the figures
	pause atomic.Int64  // nanoseconds to wait before each read (slow subscribers)

	last    atomic.Int64 // seq of the last event read
	counted atomic.Int64 // events counted
	bytes   atomic.Int64 // bytes of the events counted
	frames  atomic.Int64 // messages read, of any kind
	lastAt  atomic.Int64 // Unix nanoseconds of the last message
	gone    atomic.Bool  // the stream ended without being stopped
	stopped atomic.Bool

	hist     histogram // delivery latency of counted events with a time
	untimed  int64     // counted events without a readable time
	missing  int64     // events skipped between consecutive seqs
	errFrame string    // the error frame received, "Name: message"
	err      error     // what ended the stream
	badFrame error     // the first message that could not be read
	done     chan struct{}
}

// dialStream opens com.atproto.sync.subscribeRepos at base, from cursor
// when not nil.
func dialStream(ctx context.Context, hc *http.Client, base string, cursor *int64) (*websocket.Conn, error) {
	u := base + "/xrpc/" + subscribeNSID
	if cursor != nil {
		u += "?cursor=" + strconv.FormatInt(*cursor, 10)
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, res, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		if res != nil && res.Body != nil {
			body, _ := io.ReadAll(res.Body)
			err = fmt.Errorf("HTTP %d %s: %w", res.StatusCode, strings.TrimSpace(string(body)), err)
		}
		return nil, rhizome.E("subscribe repos", rhizome.Unavailable, err)
	}
	conn.SetReadLimit(maxFrameBytes)
	return conn, nil
}

// subscribe connects one subscriber and starts reading.
func subscribe(ctx context.Context, hc *http.Client, base string, cursor *int64, from *atomic.Int64, pause time.Duration) (*subscriber, error) {
	conn, err := dialStream(ctx, hc, base, cursor)
	if err != nil {
		return nil, err
	}
	s := &subscriber{conn: conn, from: from, done: make(chan struct{})}
	s.pause.Store(int64(pause))
	s.lastAt.Store(time.Now().UnixNano())
	go s.run()
	return s, nil
}

// subscribeAll connects n subscribers, dialParallel at a time; on an error
// it closes those already open.
func subscribeAll(ctx context.Context, hc *http.Client, base string, n int, from *atomic.Int64, pause time.Duration, progress func(int)) ([]*subscriber, error) {
	subs := make([]*subscriber, n)
	var next, done atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range min(n, dialParallel) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				s, err := subscribe(ctx, hc, base, nil, from, pause)
				if err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
					return
				}
				subs[i] = s
				if d := done.Add(1); progress != nil {
					progress(int(d))
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	if first != nil {
		stopAll(subs)
		return nil, first
	}
	return subs, nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// run reads messages until the connection ends.
func (s *subscriber) run() {
	defer close(s.done)
	var buf []byte
	for {
		if p := s.pause.Load(); p > 0 {
			time.Sleep(time.Duration(p))
		}
		msg, err := readMessage(s.conn, buf)
		if err != nil {
			if !s.stopped.Load() {
				s.err = err
				s.gone.Store(true)
			}
			return
		}
		buf = msg
		s.take(msg, time.Now())
	}
}

// take accounts for one message received at now.
func (s *subscriber) take(msg []byte, now time.Time) {
	s.frames.Add(1)
	s.lastAt.Store(now.UnixNano())
	f, err := parseFrame(msg)
	if err != nil {
		if s.badFrame == nil {
			s.badFrame = err
		}
		return
	}
	if f.op == -1 {
		s.errFrame = f.errorText()
		return
	}
	if f.seq == 0 { // #info
		return
	}
	if last := s.last.Load(); last > 0 && f.seq > last+1 {
		s.missing += f.seq - last - 1
	}
	s.last.Store(f.seq)
	if f.seq <= s.from.Load() {
		return
	}
	s.counted.Add(1)
	s.bytes.Add(int64(len(msg)))
	if f.timeMS > 0 {
		s.hist.add(now.UnixMicro() - f.timeMS*1000)
	} else {
		s.untimed++
	}
}

// stop closes the connection and waits for the reader to finish.
func (s *subscriber) stop() {
	s.stopped.Store(true)
	s.conn.CloseNow()
	<-s.done
}

// stopAll stops every subscriber in subs (nil entries are skipped).
func stopAll(subs []*subscriber) {
	for _, s := range subs {
		if s != nil {
			s.stop()
		}
	}
}

// ending describes how a stream ended: the error frame, or else the close
// status, or the read error of a connection dropped without a close
// frame; "" while it is open.
func (s *subscriber) ending() string {
	if s.errFrame != "" {
		return s.errFrame
	}
	if s.err == nil {
		return ""
	}
	var ce websocket.CloseError
	if errors.As(s.err, &ce) {
		return fmt.Sprintf("closed with status %d %q", int(ce.Code), ce.Reason)
	}
	return "dropped without an error frame or close: " + clip(s.err.Error(), 300)
}

// idleFor reports how long ago the last message arrived.
func (s *subscriber) idleFor(now time.Time) time.Duration {
	return now.Sub(time.Unix(0, s.lastAt.Load()))
}
