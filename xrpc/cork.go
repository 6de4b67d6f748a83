package xrpc

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"time"
)

// corkBytes is how much a held stream buffers before it writes anyway.
const corkBytes = 1 << 20

// corkBuffers lends held streams their buffers only while they hold, so
// a thousand idle subscribers keep no batch-sized buffer each.
var corkBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// cork batches an event stream's writes. The WebSocket library flushes
// every message to the connection, one system call each; between Hold
// and Release those flushes land in a buffer instead, written with one
// call, so a subscriber that is a few events behind costs one write for
// all of them. Outside Hold, writes (control frames, say) go straight
// through. It is safe for concurrent use.
type cork struct {
	net.Conn
	mu      sync.Mutex
	held    bool
	buf     []byte
	timeout time.Duration
}

func (c *cork) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.held {
		return c.Conn.Write(p)
	}
	if c.buf == nil {
		c.buf = (*corkBuffers.Get().(*[]byte))[:0]
	}
	c.buf = append(c.buf, p...)
	if len(c.buf) >= corkBytes {
		return len(p), c.flushLocked()
	}
	return len(p), nil
}

// Hold starts buffering.
func (c *cork) Hold() {
	c.mu.Lock()
	c.held = true
	c.mu.Unlock()
}

// Release writes what was buffered, within the timeout (a subscriber
// whose connection does not take it in time is too slow), and stops
// buffering.
func (c *cork) Release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held = false
	err := c.flushLocked()
	if c.buf != nil {
		if cap(c.buf) <= corkBytes {
			b := c.buf[:0]
			corkBuffers.Put(&b)
		}
		c.buf = nil
	}
	return err
}

func (c *cork) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	_, err := c.Conn.Write(c.buf)
	c.Conn.SetWriteDeadline(time.Time{})
	c.buf = c.buf[:0]
	return err
}

// Hijack hands the connection to the WebSocket library wrapped in a cork
// (kept in w.cork for the stream to hold and release).
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	w.cork = &cork{Conn: conn, timeout: frameWriteTimeout}
	return w.cork, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(w.cork, 4096)), nil
}
