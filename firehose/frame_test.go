package firehose

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/store"
)

// split decodes a frame into its header and body.
func split(t *testing.T, f []byte) (map[string]any, map[string]any) {
	t.Helper()
	r := cbor.NewReader(f)
	if err := r.Skip(); err != nil {
		t.Fatalf("frame header: %v", err)
	}
	h, err := data.UnmarshalCBOR(f[:r.Offset()])
	if err != nil {
		t.Fatalf("frame header: %v", err)
	}
	b, err := data.UnmarshalCBOR(f[r.Offset():])
	if err != nil {
		t.Fatalf("frame body is not canonical DRISL: %v", err)
	}
	return h.(map[string]any), b.(map[string]any)
}

func TestFrame(t *testing.T) {
	for name, body := range map[string]map[string]any{
		"commit keys":     {"ops": []any{}, "rev": "3abc", "repo": "did:plc:x", "time": "t", "blocks": []byte{1}, "tooBig": false, "prevData": nil},
		"only short keys": {"a": int64(1), "op": int64(2)},
		"only long keys":  {"handle": "a.test", "active": true},
		"keys around seq": {"ops": int64(1), "sex": int64(2), "set": int64(3), "zzz": int64(4)},
		"empty":           {},
		"identity":        {"did": "did:plc:x", "time": "t", "handle": "a.test"},
	} {
		t.Run(name, func(t *testing.T) {
			raw, err := data.MarshalCBOR(body)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Frame(store.Event{Seq: 4242, Type: "commit", Body: raw})
			if err != nil {
				t.Fatal(err)
			}
			h, got := split(t, f)
			if !reflect.DeepEqual(h, map[string]any{"op": int64(1), "t": "#commit"}) {
				t.Errorf("header %v", h)
			}
			want := map[string]any{"seq": int64(4242)}
			for k, v := range body {
				want[k] = v
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("body %v, want %v", got, want)
			}
		})
	}
}

func TestFrame_RejectsBadBodies(t *testing.T) {
	withSeq, _ := data.MarshalCBOR(map[string]any{"seq": int64(1)})
	list, _ := data.MarshalCBOR([]any{int64(1)})
	valid, _ := data.MarshalCBOR(map[string]any{"a": "b"})
	for name, body := range map[string][]byte{
		"has a seq":      withSeq,
		"not a map":      list,
		"truncated":      valid[:len(valid)-1],
		"trailing bytes": append(append([]byte{}, valid...), 0),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Frame(store.Event{Seq: 1, Type: "commit", Body: body}); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestErrorAndInfoFrames(t *testing.T) {
	h, b := split(t, ErrorFrame("FutureCursor", "too far"))
	if !reflect.DeepEqual(h, map[string]any{"op": int64(-1)}) || b["error"] != "FutureCursor" || b["message"] != "too far" {
		t.Errorf("error frame %v %v", h, b)
	}
	h, b = split(t, InfoFrame("OutdatedCursor", "old"))
	if h["t"] != "#info" || h["op"] != int64(1) || b["name"] != "OutdatedCursor" {
		t.Errorf("info frame %v %v", h, b)
	}
	if !bytes.Equal(ErrorFrame("a", "b"), ErrorFrame("a", "b")) {
		t.Error("frames are not deterministic")
	}
}
