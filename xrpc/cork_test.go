package xrpc

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

func TestCork_HoldRelease(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ck := &cork{Conn: a, timeout: time.Second}
	ck.Hold()
	for _, p := range []string{"one ", "two ", "three"} {
		if n, err := ck.Write([]byte(p)); err != nil || n != len(p) {
			t.Fatalf("held write: %d %v", n, err)
		}
	}
	b.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := b.Read(make([]byte, 64)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the peer read %d bytes (%v) while the cork was held", n, err)
	}
	b.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { done <- ck.Release() }()
	buf := make([]byte, 64)
	n, err := b.Read(buf)
	if err != nil || string(buf[:n]) != "one two three" {
		t.Fatalf("one read after release got %q, %v", buf[:n], err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	go func() { _, err := ck.Write([]byte("direct")); done <- err }()
	if n, _ = b.Read(buf); string(buf[:n]) != "direct" {
		t.Errorf("after release a write went %q", buf[:n])
	}
	<-done
}

func TestCork_Release_SlowPeer(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ck := &cork{Conn: a, timeout: 50 * time.Millisecond}
	ck.Hold()
	ck.Write([]byte("nobody reads this"))
	start := time.Now()
	if err := ck.Release(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("release to a peer that never reads: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("release took %v", took)
	}
}

func TestCork_Write_FlushesWhenFull(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ck := &cork{Conn: a, timeout: time.Second}
	ck.Hold()
	got := make(chan []byte, 1)
	go func() {
		var all bytes.Buffer
		buf := make([]byte, 64<<10)
		for all.Len() < corkBytes {
			n, err := b.Read(buf)
			if err != nil {
				break
			}
			all.Write(buf[:n])
		}
		got <- all.Bytes()
	}()
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for i := 0; i < corkBytes/len(chunk); i++ {
		if _, err := ck.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if b := <-got; len(b) != corkBytes {
		t.Fatalf("a full cork wrote %d bytes while still held, want %d", len(b), corkBytes)
	}
}
