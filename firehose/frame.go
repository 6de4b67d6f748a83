package firehose

import (
	"fmt"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/store"
)

// Frame encodes e as an event-stream message: the header {op: 1, t: "#type"}
// followed by e's body with "seq" added.
func Frame(e store.Event) ([]byte, error) {
	b := make([]byte, 0, len(e.Body)+32)
	b = appendHeader(b, 1, "#"+e.Type)
	b, err := appendWithSeq(b, e.Body, e.Seq)
	if err != nil {
		return nil, rhizome.E("encode event frame", rhizome.Corrupt, fmt.Errorf("event %d: %w", e.Seq, err))
	}
	return b, nil
}

// ErrorFrame encodes an error message ({op: -1} header), after which the
// server closes the stream.
func ErrorFrame(name, message string) []byte {
	b := appendHeader(nil, -1, "")
	b = cbor.AppendMapHeader(b, 2)
	b = cbor.AppendText(cbor.AppendText(b, "error"), name)
	return cbor.AppendText(cbor.AppendText(b, "message"), message)
}

// InfoFrame encodes an #info message.
func InfoFrame(name, message string) []byte {
	b := appendHeader(nil, 1, "#info")
	b = cbor.AppendMapHeader(b, 2)
	b = cbor.AppendText(cbor.AppendText(b, "name"), name)
	return cbor.AppendText(cbor.AppendText(b, "message"), message)
}

// appendHeader appends the frame header; keys in canonical order ("t"
// before "op"), t left out when empty.
func appendHeader(b []byte, op int64, t string) []byte {
	if t == "" {
		b = cbor.AppendMapHeader(b, 1)
	} else {
		b = cbor.AppendMapHeader(b, 2)
		b = cbor.AppendText(cbor.AppendText(b, "t"), t)
	}
	return cbor.AppendInt(cbor.AppendText(b, "op"), op)
}

// appendWithSeq appends body, a canonical DRISL map without a "seq" key,
// with "seq": seq inserted at its canonical position.
func appendWithSeq(b, body []byte, seq int64) ([]byte, error) {
	r := cbor.NewReader(body)
	n, err := r.ReadMapHeader()
	if err != nil {
		return nil, err
	}
	entries := r.Offset()
	at := len(body) // where the seq entry goes: before the first key after "seq"
	for i := range n {
		start := r.Offset()
		k, err := r.ReadKeyBytes(nil, true)
		if err != nil {
			return nil, err
		}
		if string(k) == "seq" {
			return nil, fmt.Errorf("body already has a seq")
		}
		if at == len(body) && cbor.KeyLess("seq", string(k)) {
			at = start
		}
		if err := r.Skip(); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	b = cbor.AppendMapHeader(b, n+1)
	b = append(b, body[entries:at]...)
	b = cbor.AppendInt(cbor.AppendText(b, "seq"), seq)
	return append(b, body[at:]...), nil
}
