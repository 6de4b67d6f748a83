package loadtest

import (
	"fmt"
	"io"
	"time"

	"github.com/coder/websocket"

	"github.com/rhizome-pds/rhizome/cbor"
)

// streamFrame is what the load tool reads of one subscribeRepos message:
// a DRISL header map {op, t} followed by a body map. Only the fields the
// figures need are decoded; the rest of the body is skipped unread.
type streamFrame struct {
	op      int64  // 1 for a message, -1 for an error
	seq     int64  // body seq; 0 when absent (#info)
	timeMS  int64  // body time as Unix milliseconds; 0 when absent or unreadable
	errName string // error frames: the error name and message
	errMsg  string
}

// parseFrame reads the header and, from the body, seq and time of a
// message or error and message of an error frame. It stops reading the
// body once seq and time are found: in canonical key order they come
// before the large fields (blocks, commit, prevData).
func parseFrame(msg []byte) (streamFrame, error) {
	var f streamFrame
	r := cbor.NewReader(msg)
	n, err := r.ReadMapHeader()
	if err != nil {
		return f, fmt.Errorf("read frame header: %w", err)
	}
	for range n {
		k, err := r.ReadKeyBytes(nil, true)
		if err == nil && string(k) == "op" {
			f.op, err = r.ReadInt()
		} else if err == nil {
			err = r.Skip()
		}
		if err != nil {
			return f, fmt.Errorf("read frame header: %w", err)
		}
	}
	switch f.op {
	case 1:
		return f, f.readBody(r)
	case -1:
		return f, f.readError(r)
	}
	return f, fmt.Errorf("read frame header: unknown op %d", f.op)
}

// readBody pulls seq and time out of a message body.
func (f *streamFrame) readBody(r *cbor.Reader) error {
	n, err := r.ReadMapHeader()
	if err != nil {
		return fmt.Errorf("read frame body: %w", err)
	}
	timed := false
	for i := 0; i < n && (f.seq == 0 || !timed); i++ {
		k, err := r.ReadKeyBytes(nil, true)
		if err != nil {
			return fmt.Errorf("read frame body: %w", err)
		}
		switch string(k) {
		case "seq":
			f.seq, err = r.ReadInt()
		case "time":
			var t []byte
			t, err = r.ReadKeyBytes(nil, true) // a text string, read without allocating
			f.timeMS, timed = parseTimeMS(t), true
		default:
			err = r.Skip()
		}
		if err != nil {
			return fmt.Errorf("read frame body field %q: %w", k, err)
		}
	}
	return nil
}

// readError reads the {error, message} body of an error frame.
func (f *streamFrame) readError(r *cbor.Reader) error {
	n, err := r.ReadMapHeader()
	if err != nil {
		return fmt.Errorf("read error frame: %w", err)
	}
	for range n {
		k, err := r.ReadKeyBytes(nil, true)
		if err != nil {
			return fmt.Errorf("read error frame: %w", err)
		}
		switch string(k) {
		case "error":
			f.errName, err = r.ReadText()
		case "message":
			f.errMsg, err = r.ReadText()
		default:
			err = r.Skip()
		}
		if err != nil {
			return fmt.Errorf("read error frame field %q: %w", k, err)
		}
	}
	return nil
}

// errorText is "Name: message" of an error frame.
func (f streamFrame) errorText() string {
	if f.errMsg == "" {
		return f.errName
	}
	return f.errName + ": " + f.errMsg
}

// parseTimeMS reads an RFC 3339 timestamp as Unix milliseconds, 0 if it
// is not one. The form servers write, 2006-01-02T15:04:05.000Z, is read
// without allocating.
func parseTimeMS(b []byte) int64 {
	if ms, ok := parseUTCMillis(b); ok {
		return ms
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0
	}
	return t.UnixMilli()
}

// parseUTCMillis reads exactly YYYY-MM-DDTHH:MM:SS.mmmZ.
func parseUTCMillis(b []byte) (int64, bool) {
	if len(b) != 24 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != '.' || b[23] != 'Z' {
		return 0, false
	}
	var v [7]int
	for i, span := range [7][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}, {20, 23}} {
		for _, c := range b[span[0]:span[1]] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v[i] = v[i]*10 + int(c-'0')
		}
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60 {
		return 0, false
	}
	return time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], v[6]*1e6, time.UTC).UnixMilli(), true
}

// readMessage reads one whole message into buf (reused: its contents are
// overwritten) and returns it.
func readMessage(conn *websocket.Conn, buf []byte) ([]byte, error) {
	_, rd, err := conn.Reader(noDeadline)
	if err != nil {
		return buf[:0], err
	}
	return readAll(rd, buf[:0])
}

// readAll appends everything rd yields to buf, growing it as needed.
func readAll(rd io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
