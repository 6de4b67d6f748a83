package firehose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	comatproto "github.com/bluesky-social/indigo/api/atproto"
	"github.com/bluesky-social/indigo/atproto/atdata"
	"github.com/coder/websocket"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// event is one decoded frame of the stream.
type event struct {
	raw  []byte
	op   int64  // 1 for a message, -1 for an error
	typ  string // "#commit", "#identity", "#account", "#sync", "#info"; "" for errors
	seq  int64  // 0 for #info and error frames
	body []byte // the body's bytes after the header

	commit   *comatproto.SyncSubscribeRepos_Commit
	identity *comatproto.SyncSubscribeRepos_Identity
	account  *comatproto.SyncSubscribeRepos_Account
	sync     *comatproto.SyncSubscribeRepos_Sync
	info     *comatproto.SyncSubscribeRepos_Info
	errName  string
	errMsg   string
}

func (e *event) String() string {
	switch {
	case e.op == -1:
		return fmt.Sprintf("error %s: %s", e.errName, e.errMsg)
	case e.info != nil:
		return fmt.Sprintf("#info %s", e.info.Name)
	}
	return fmt.Sprintf("%d %s", e.seq, e.typ)
}

// decodeFrame decodes a binary WebSocket message with indigo's generated
// event types: a header map, then exactly one body map.
func decodeFrame(b []byte) (*event, error) {
	r := bytes.NewReader(b)
	op, typ, err := readHeader(r)
	if err != nil {
		return nil, fmt.Errorf("decode frame header: %w", err)
	}
	e := &event{raw: b, op: op, typ: typ, body: b[len(b)-r.Len():]}
	if err := e.decodeBody(r); err != nil {
		return nil, fmt.Errorf("decode %s body: %w", typ, err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("decode %s frame: %d bytes after the body", typ, r.Len())
	}
	return e, nil
}

func (e *event) decodeBody(r *bytes.Reader) error {
	switch {
	case e.op == -1:
		m, err := atdata.UnmarshalCBOR(e.body)
		if err != nil {
			return err
		}
		r.Reset(nil)
		e.errName, _ = m["error"].(string)
		e.errMsg, _ = m["message"].(string)
		if e.errName == "" || len(m) != 2 {
			return fmt.Errorf("error body %v is not {error, message}", m)
		}
		return nil
	case e.typ == "#commit":
		e.commit = new(comatproto.SyncSubscribeRepos_Commit)
		err := e.commit.UnmarshalCBOR(r)
		e.seq = e.commit.Seq
		return err
	case e.typ == "#identity":
		e.identity = new(comatproto.SyncSubscribeRepos_Identity)
		err := e.identity.UnmarshalCBOR(r)
		e.seq = e.identity.Seq
		return err
	case e.typ == "#account":
		e.account = new(comatproto.SyncSubscribeRepos_Account)
		err := e.account.UnmarshalCBOR(r)
		e.seq = e.account.Seq
		return err
	case e.typ == "#sync":
		e.sync = new(comatproto.SyncSubscribeRepos_Sync)
		err := e.sync.UnmarshalCBOR(r)
		e.seq = e.sync.Seq
		return err
	case e.typ == "#info":
		e.info = new(comatproto.SyncSubscribeRepos_Info)
		return e.info.UnmarshalCBOR(r)
	}
	return fmt.Errorf("unknown message type %q", e.typ)
}

// readHeader reads the frame header {t, op}: a message header has both
// (t first, the canonical order), an error header only op = -1.
func readHeader(r io.Reader) (op int64, typ string, err error) {
	cr := cbg.NewCborReader(r)
	maj, n, err := cr.ReadHeader()
	if err != nil {
		return 0, "", err
	}
	if maj != cbg.MajMap || n < 1 || n > 2 {
		return 0, "", fmt.Errorf("header is not a map of 1 or 2 entries (major %d, %d)", maj, n)
	}
	var keys []string
	for range n {
		k, err := cbg.ReadString(cr)
		if err != nil {
			return 0, "", err
		}
		keys = append(keys, k)
		switch k {
		case "t":
			if typ, err = cbg.ReadString(cr); err != nil {
				return 0, "", err
			}
		case "op":
			if op, err = readInt(cr); err != nil {
				return 0, "", err
			}
		default:
			return 0, "", fmt.Errorf("unexpected header key %q", k)
		}
	}
	want := []string{"t", "op"}
	if op == -1 {
		want = []string{"op"}
	} else if op != 1 {
		return 0, "", fmt.Errorf("header op %d", op)
	}
	if fmt.Sprint(keys) != fmt.Sprint(want) {
		return 0, "", fmt.Errorf("header keys %v, want %v", keys, want)
	}
	return op, typ, nil
}

func readInt(cr *cbg.CborReader) (int64, error) {
	maj, v, err := cr.ReadHeader()
	switch {
	case err != nil:
		return 0, err
	case maj == cbg.MajUnsignedInt && v < 1<<62:
		return int64(v), nil
	case maj == cbg.MajNegativeInt && v < 1<<62:
		return -1 - int64(v), nil
	}
	return 0, fmt.Errorf("not an integer (major %d)", maj)
}

// bodyMap decodes an event body as generic data, to look at which keys it
// has and which are null.
func bodyMap(e *event) (map[string]any, error) {
	m, err := atdata.UnmarshalCBOR(e.body)
	if err != nil {
		return nil, fmt.Errorf("decode %s body: %w", e.typ, err)
	}
	return m, nil
}

// streamPath is the XRPC path of the event stream.
const streamPath = "/xrpc/com.atproto.sync.subscribeRepos"

// stream is one WebSocket subscription.
type stream struct {
	conn *websocket.Conn
}

// maxFrame bounds one frame; the default read limit of the WebSocket
// library (32 KiB) is smaller than a large commit.
const maxFrame = 16 << 20

// subscribe opens a subscription; cursor "" subscribes without one. When
// the server refuses the upgrade, the HTTP response is returned with the
// error.
func subscribe(ctx context.Context, addr, cursor string) (*stream, *http.Response, error) {
	u := "ws://" + addr + streamPath
	if cursor != "" {
		u += "?cursor=" + cursor
	}
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, resp, fmt.Errorf("dial %s: %w", u, err)
	}
	conn.SetReadLimit(maxFrame)
	return &stream{conn: conn}, resp, nil
}

// next reads and decodes the next frame.
func (s *stream) next(ctx context.Context) (*event, error) {
	typ, b, err := s.conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageBinary {
		return nil, fmt.Errorf("read frame: a %v message, want binary", typ)
	}
	return decodeFrame(b)
}

// close drops the connection without a closing handshake.
func (s *stream) close() { s.conn.CloseNow() }

// closeStatus is the WebSocket close code of an error from next, -1 if
// the connection did not end with a close frame.
func closeStatus(err error) websocket.StatusCode {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}
