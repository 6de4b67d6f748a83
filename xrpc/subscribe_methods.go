package xrpc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/firehose"
	"github.com/rhizome-pds/rhizome/syntax"
)

// frameWriteTimeout is how long one frame may take to reach a subscriber
// before the connection is dropped.
const frameWriteTimeout = 15 * time.Second

func (s *Server) streamRoutes() {
	if s.opts.Firehose != nil {
		s.handle("com.atproto.sync.subscribeRepos", http.MethodGet, public, subscribeRepos)
		s.handle("dev.rhizome.sync.subscribeRecords", http.MethodGet, public, subscribeRecords)
	}
}

// subscribeRepos upgrades to a WebSocket and streams the event log from
// the optional cursor, frames as they are. Errors found before the upgrade
// are XRPC errors; after it, error frames.
func subscribeRepos(c *call) (any, error) {
	cursor, err := cursorParam(c.r.URL.Query().Get("cursor"))
	if err != nil {
		return nil, err
	}
	return c.serveStream(cursor, streamFormat{typ: websocket.MessageBinary, errorMsg: (*firehose.StreamError).Frame})
}

// streamFormat is how a stream encodes its messages: their WebSocket type,
// what each event frame becomes (nil convert: the frame itself; ok false:
// nothing), and the message that reports a stream error.
type streamFormat struct {
	typ      websocket.MessageType
	convert  func(frame []byte) (msg []byte, ok bool, err error)
	errorMsg func(*firehose.StreamError) []byte
}

// serveStream upgrades the request and streams the event log from cursor
// in format f until the subscriber leaves, the server shuts down or the
// stream fails.
func (c *call) serveStream(cursor *int64, f streamFormat) (any, error) {
	if err := needUpgrade(c.r); err != nil {
		return nil, err
	}
	conn, err := websocket.Accept(c.w, c.r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, nil // Accept has answered the request
	}
	defer conn.CloseNow()
	ctx, stop := c.s.streamContext(conn, c.ctx)
	defer stop()
	sub, err := c.s.opts.Firehose.Subscribe(ctx, cursor)
	if err == nil {
		defer sub.Close()
		var ck *cork
		if sw, ok := c.w.(*statusWriter); ok {
			ck = sw.cork
		}
		err = stream(ctx, conn, ck, sub, f)
	}
	c.s.endStream(ctx, conn, err, f)
	return nil, nil
}

// stream writes messages until the subscriber leaves or the stream fails.
// With a cork, each batch of frames the subscription hands over goes out
// in one write.
func stream(ctx context.Context, conn *websocket.Conn, ck *cork, sub *firehose.Subscription, f streamFormat) error {
	for {
		frames, err := sub.Next(ctx)
		if err != nil {
			return err
		}
		if ck == nil {
			err = writeBatch(ctx, conn, frames, f)
		} else {
			ck.Hold()
			err = writeBatch(context.Background(), conn, frames, f) // into the cork's buffer: nothing to time out
			if rerr := ck.Release(); err == nil {
				err = rerr
			}
		}
		if err != nil {
			return err
		}
	}
}

func writeBatch(ctx context.Context, conn *websocket.Conn, frames [][]byte, f streamFormat) error {
	for _, msg := range frames {
		ok := true
		var err error
		if f.convert != nil {
			if msg, ok, err = f.convert(msg); err != nil {
				return err
			}
		}
		if ok {
			if err := writeMessage(ctx, conn, f.typ, msg); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeMessage(ctx context.Context, conn *websocket.Conn, typ websocket.MessageType, msg []byte) error {
	if ctx.Done() == nil {
		return conn.Write(ctx, typ, msg)
	}
	wctx, cancel := context.WithTimeout(ctx, frameWriteTimeout)
	defer cancel()
	return conn.Write(wctx, typ, msg)
}

// endStream closes the connection, with an error message first for the
// errors the protocol names.
func (s *Server) endStream(ctx context.Context, conn *websocket.Conn, err error, f streamFormat) {
	var se *firehose.StreamError
	if errors.As(err, &se) {
		wctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Write(wctx, f.typ, f.errorMsg(se))
		cancel()
		conn.Close(websocket.StatusPolicyViolation, se.Name)
		return
	}
	if ctx.Err() == nil && err != nil {
		s.log.Warn("firehose subscriber dropped", "err", err)
	}
	conn.Close(websocket.StatusGoingAway, "")
}

// needUpgrade answers a plain HTTP request to a stream with an XRPC
// error rather than the WebSocket library's text.
func needUpgrade(r *http.Request) error {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return rhizome.E("subscribe", rhizome.Invalid, "this method is a WebSocket stream: connect with an Upgrade: websocket request")
	}
	return nil
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

// subscribeRecords streams the record operations of chosen collections
// (and optionally repositories) as JSON text messages, for apps that are
// live views on data: {seq, repo, rev, time, ops: [{action, collection,
// rkey, cid, record}]}. Commits with no selected operation are skipped.
// Parameters: collection (repeatable; an NSID or "prefix.*"), repo
// (repeatable DID), cursor. The OAuth grants will narrow the filter.
func subscribeRecords(c *call) (any, error) {
	f, cursor, err := recordsFilter(c.r.URL.Query())
	if err != nil {
		return nil, err
	}
	if f, err = c.narrowToGrant(f); err != nil {
		return nil, err
	}
	return c.serveStream(cursor, streamFormat{
		typ:     websocket.MessageText,
		convert: func(frame []byte) ([]byte, bool, error) { return firehose.RecordsJSON(frame, f) },
		errorMsg: func(se *firehose.StreamError) []byte {
			msg, _ := json.Marshal(map[string]string{"error": se.Name, "message": se.Message})
			return msg
		},
	})
}

// narrowToGrant limits an app's stream to the collections its OAuth
// grant may touch; callers without a grant get the public stream.
func (c *call) narrowToGrant(f firehose.Filter) (firehose.Filter, error) {
	if !usesDPoP(c.r) || c.s.opts.OAuth == nil {
		return f, nil
	}
	if err := c.s.authenticate(c, false); err != nil {
		return f, err
	}
	f = f.Narrow(firehose.Filter{Collections: c.grant.CollectionPatterns()})
	if len(f.Collections) == 0 {
		return f, rhizome.E("subscribe records", rhizome.Forbidden, "the grant allows none of the requested collections").Named("ScopeMissingError")
	}
	return f, nil
}

func recordsFilter(q url.Values) (firehose.Filter, *int64, error) {
	var f firehose.Filter
	cursor, err := cursorParam(q.Get("cursor"))
	if err != nil {
		return f, nil, err
	}
	for _, p := range q["collection"] {
		p, err := firehose.ParseCollectionPattern(p)
		if err != nil {
			return f, nil, rhizome.E("subscribe records", rhizome.Invalid, err)
		}
		f.Collections = append(f.Collections, p)
	}
	if len(f.Collections) == 0 {
		return f, nil, rhizome.E("subscribe records", rhizome.Invalid, "at least one collection parameter is required")
	}
	for _, r := range q["repo"] {
		d, err := syntax.ParseDID(r)
		if err != nil {
			return f, nil, rhizome.E("subscribe records", rhizome.Invalid, err)
		}
		f.Repos = append(f.Repos, d)
	}
	return f, cursor, nil
}

// streamContext is a stream's context: it ends when the peer goes away or
// the server shuts down.
func (s *Server) streamContext(conn *websocket.Conn, parent context.Context) (context.Context, context.CancelFunc) {
	ctx := conn.CloseRead(context.WithoutCancel(parent))
	ctx, stop := context.WithCancel(ctx)
	go func() {
		select {
		case <-s.done:
		case <-ctx.Done():
		}
		stop()
	}()
	return ctx, stop
}
