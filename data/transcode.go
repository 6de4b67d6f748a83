package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"unicode/utf8"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
)

// AppendJSONFromCBOR appends the atproto JSON form of the canonical
// DAG-CBOR value src to dst without building the value in memory: the
// read path's way to serve stored records. It accepts and rejects exactly
// what UnmarshalCBOR does, and its output decodes to the same value as
// MarshalJSON(UnmarshalCBOR(src)); object keys keep their CBOR order.
func AppendJSONFromCBOR(dst, src []byte) ([]byte, error) {
	t := transcoder{r: cbor.NewReader(src), b: dst}
	err := t.value(0)
	if err == nil {
		err = t.r.Done()
	}
	if err != nil {
		// Decode again for the error message, with its path.
		if _, derr := UnmarshalCBOR(src); derr != nil {
			return dst, derr
		}
		return dst, rhizome.E("decode cbor", rhizome.Invalid, err)
	}
	return t.b, nil
}

// errSlowPath asks for a map to be transcoded through the value decoder,
// which checks the shapes the fast path does not (blob maps).
var errSlowPath = errors.New("map needs the value decoder")

type transcoder struct {
	r *cbor.Reader
	b []byte
}

func (t *transcoder) value(depth int) error {
	m, err := t.r.Peek()
	if err != nil {
		return err
	}
	switch m {
	case cbor.Uint, cbor.NegInt:
		n, err := t.r.ReadInt()
		t.b = strconv.AppendInt(t.b, n, 10)
		return err
	case cbor.Text:
		p, err := t.r.ReadKeyBytes(nil, true) // a text string, aliasing src
		t.b = appendJSONText(t.b, p)
		return err
	case cbor.Bytes:
		p, err := t.r.ReadBytes()
		t.b = appendJSONBytes(t.b, p)
		return err
	case cbor.Tag:
		c, err := t.r.ReadLink()
		if err == nil {
			t.b = append(append(append(t.b, `{"$link":"`...), c.String()...), `"}`...)
		}
		return err
	case cbor.Array:
		return t.list(depth + 1)
	case cbor.Map:
		return t.mapValue(depth + 1)
	}
	if t.r.ReadNull() {
		t.b = append(t.b, "null"...)
		return nil
	}
	v, err := t.r.ReadBool()
	t.b = strconv.AppendBool(t.b, v)
	return err
}

func (t *transcoder) list(depth int) error {
	if depth > MaxDepth {
		return errTooDeep
	}
	n, err := t.r.ReadArrayHeader()
	if err != nil {
		return err
	}
	t.b = append(t.b, '[')
	for i := range n {
		if i > 0 {
			t.b = append(t.b, ',')
		}
		if err := t.value(depth); err != nil {
			return err
		}
	}
	t.b = append(t.b, ']')
	return nil
}

// mapValue transcodes a map; a blob map goes through the value decoder so
// that its shape is checked exactly as UnmarshalCBOR checks it.
func (t *transcoder) mapValue(depth int) error {
	start, mark := t.r.Offset(), len(t.b)
	err := t.entries(depth)
	if err != errSlowPath {
		return err
	}
	t.b = t.b[:mark]
	t.r.Seek(start)
	d := decoder{r: t.r}
	m, err := d.mapValue(depth)
	if err == nil {
		t.b, err = appendJSONMap(t.b, m, depth)
	}
	return err
}

func (t *transcoder) entries(depth int) error {
	if depth > MaxDepth {
		return errTooDeep
	}
	n, err := t.r.ReadMapHeader()
	if err != nil {
		return err
	}
	t.b = append(t.b, '{')
	var k []byte
	for i := range n {
		if k, err = t.r.ReadKeyBytes(k, i == 0); err != nil {
			return err
		}
		if i > 0 {
			t.b = append(t.b, ',')
		}
		if len(k) > 0 && k[0] == '$' {
			if err := t.checkSpecial(k); err != nil {
				return err
			}
		}
		t.b = append(appendJSONText(t.b, k), ':')
		if err := t.value(depth); err != nil {
			return err
		}
	}
	t.b = append(t.b, '}')
	return nil
}

// checkSpecial applies checkMap's rules to a reserved key before its value
// is read: $link and $bytes may not be keys, $type must be a non-empty
// string, and a blob's map takes the slow path.
func (t *transcoder) checkSpecial(k []byte) error {
	switch string(k) {
	case keyLink, keyBytes:
		return errSlowPath // the decoder reports the reserved key
	case keyType:
		off := t.r.Offset()
		v, err := t.r.ReadKeyBytes(nil, true)
		t.r.Seek(off)
		if err != nil || len(v) == 0 || bytes.Equal(v, []byte(typeBlob)) {
			return errSlowPath
		}
	}
	return nil
}

// appendJSONText quotes p, which the CBOR reader has checked is UTF-8,
// escaping as appendJSONString does.
func appendJSONText(b []byte, p []byte) []byte {
	b = append(b, '"')
	start, i := 0, plainPrefix(p)
	for i < len(p) {
		c := p[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if esc := jsonEscape(r); esc != "" {
			b = append(append(b, p[start:i]...), esc...)
			start = i + size
		}
		i += size
	}
	return append(append(b, p[start:]...), '"')
}

// Byte masks for plainPrefix.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainPrefix returns a multiple of 8 up to which p holds only bytes that
// JSON text copies as they are (printable ASCII other than '"' and '\\'),
// checking eight bytes at a time; the caller looks at the rest one by one.
func plainPrefix(p []byte) int {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		x := binary.LittleEndian.Uint64(p[i:])
		ctl := (x - 0x20*ones) &^ x // a byte below 0x20
		quote := (x ^ '"'*ones - ones) &^ (x ^ '"'*ones)
		slash := (x ^ '\\'*ones - ones) &^ (x ^ '\\'*ones)
		if (ctl|quote|slash|x)&highs != 0 { // or a byte of 0x80 and above
			break
		}
	}
	return i
}
