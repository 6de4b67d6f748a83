package xrpc

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/firehose"
)

// frameWriteTimeout is how long one frame may take to reach a subscriber
// before the connection is dropped.
const frameWriteTimeout = 15 * time.Second

func (s *Server) streamRoutes() {
	if s.opts.Firehose != nil {
		s.handle("com.atproto.sync.subscribeRepos", http.MethodGet, public, subscribeRepos)
	}
}

// subscribeRepos upgrades to a WebSocket and streams the event log from
// the optional cursor. Errors found before the upgrade are XRPC errors;
// after it, error frames.
func subscribeRepos(c *call) (any, error) {
	cursor, err := cursorParam(c.r.URL.Query().Get("cursor"))
	if err != nil {
		return nil, err
	}
	conn, err := websocket.Accept(c.w, c.r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, nil // Accept has answered the request
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(context.WithoutCancel(c.ctx)) // ends when the peer goes away
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { // the server shutting down ends the stream too
		select {
		case <-c.s.done:
		case <-ctx.Done():
		}
		stop()
	}()
	sub, err := c.s.opts.Firehose.Subscribe(ctx, cursor)
	if err == nil {
		err = stream(ctx, conn, sub)
	}
	c.s.endStream(ctx, conn, err)
	return nil, nil
}

// stream writes frames until the subscriber leaves or the stream fails.
func stream(ctx context.Context, conn *websocket.Conn, sub *firehose.Subscription) error {
	for {
		frames, err := sub.Next(ctx)
		if err != nil {
			return err
		}
		for _, f := range frames {
			wctx, cancel := context.WithTimeout(ctx, frameWriteTimeout)
			err := conn.Write(wctx, websocket.MessageBinary, f)
			cancel()
			if err != nil {
				return err
			}
		}
	}
}

// endStream closes the connection, with an error frame first for the
// errors the protocol names.
func (s *Server) endStream(ctx context.Context, conn *websocket.Conn, err error) {
	var se *firehose.StreamError
	if errors.As(err, &se) {
		wctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Write(wctx, websocket.MessageBinary, se.Frame())
		cancel()
		conn.Close(websocket.StatusPolicyViolation, se.Name)
		return
	}
	if ctx.Err() == nil && err != nil {
		s.log.Warn("firehose subscriber dropped", "err", err)
	}
	conn.Close(websocket.StatusGoingAway, "")
}

// cursorParam parses the optional cursor: a non-negative integer.
func cursorParam(v string) (*int64, error) {
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, rhizome.Errorf("subscribe repos", rhizome.Invalid, "cursor %q is not a non-negative integer", v)
	}
	return &n, nil
}
