package podtest

import (
	"testing"

	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/data"
)

// Frame is one decoded event-stream message: the header's type ("#commit",
// "#identity", ...) and the body as data-model values.
type Frame struct {
	Type string
	Body map[string]any
}

// DecodeFrame decodes a subscribeRepos message (DRISL header + body),
// failing the test if it is not one.
func DecodeFrame(t testing.TB, frame []byte) Frame {
	t.Helper()
	r := cbor.NewReader(frame)
	if err := r.Skip(); err != nil {
		t.Fatalf("frame header: %v", err)
	}
	head, err := data.UnmarshalCBOR(frame[:r.Offset()])
	if err != nil {
		t.Fatalf("decode frame header: %v", err)
	}
	body, err := data.UnmarshalCBOR(frame[r.Offset():])
	if err != nil {
		t.Fatalf("decode frame body: %v", err)
	}
	h, _ := head.(map[string]any)
	b, _ := body.(map[string]any)
	typ, _ := h["t"].(string)
	return Frame{Type: typ, Body: b}
}
