package data

import (
	"errors"
	"fmt"
	"strings"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
)

// Decoders preallocate at most this many entries for a container, however
// many its header claims: a claim is only checked against the bytes left,
// and nested claims would otherwise each reserve memory for the whole
// input at once.
const (
	maxListHint = 256
	maxMapHint  = 32
)

// UnmarshalCBOR decodes one canonical DAG-CBOR value that spans all of b.
func UnmarshalCBOR(b []byte) (any, error) {
	d := decoder{r: cbor.NewReader(b)}
	v, err := d.value(0)
	if err == nil {
		err = d.r.Done()
	}
	if err != nil {
		return nil, rhizome.E("decode cbor", rhizome.Invalid, err)
	}
	return v, nil
}

// DecodeRecord decodes a record's CBOR: a map of at most MaxRecordSize
// bytes whose $type is a non-empty string. It does not check the $type
// against any lexicon.
func DecodeRecord(b []byte) (map[string]any, error) {
	const op = "decode record"
	if len(b) > MaxRecordSize {
		return nil, rhizome.Errorf(op, rhizome.TooLarge, "%d bytes exceeds the %d-byte limit", len(b), MaxRecordSize)
	}
	v, err := UnmarshalCBOR(b)
	if err != nil {
		return nil, rhizome.E(op, rhizome.Invalid, err)
	}
	m, err := recordMap(v)
	if err != nil {
		return nil, rhizome.E(op, rhizome.Invalid, err)
	}
	return m, nil
}

// recordMap checks that v is a record: a map with a $type.
func recordMap(v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a record must be a map, not %s", kindName(v))
	}
	if _, ok := m[keyType]; !ok {
		return nil, errors.New("a record must have a $type")
	}
	return m, nil // checkMap has already vetted the $type's value
}

type decoder struct {
	r *cbor.Reader
}

// value decodes one value found inside depth containers.
func (d *decoder) value(depth int) (any, error) {
	m, err := d.r.Peek()
	if err != nil {
		return nil, err
	}
	switch m {
	case cbor.Uint, cbor.NegInt:
		return d.r.ReadInt()
	case cbor.Text:
		return d.r.ReadText()
	case cbor.Bytes:
		return d.bytes()
	case cbor.Tag:
		return d.r.ReadLink()
	case cbor.Array:
		return d.list(depth + 1)
	case cbor.Map:
		return d.mapValue(depth + 1)
	}
	if d.r.ReadNull() {
		return nil, nil
	}
	return d.r.ReadBool()
}

func (d *decoder) bytes() ([]byte, error) {
	p, err := d.r.ReadBytes()
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(p))
	copy(out, p)
	return out, nil
}

func (d *decoder) list(depth int) ([]any, error) {
	if depth > MaxDepth {
		return nil, errTooDeep
	}
	n, err := d.r.ReadArrayHeader()
	if err != nil {
		return nil, err
	}
	l := make([]any, 0, min(n, maxListHint))
	for i := range n {
		v, err := d.value(depth)
		if err != nil {
			return nil, inIndex(err, i)
		}
		l = append(l, v)
	}
	return l, nil
}

func (d *decoder) mapValue(depth int) (map[string]any, error) {
	if depth > MaxDepth {
		return nil, errTooDeep
	}
	n, err := d.r.ReadMapHeader()
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, min(n, maxMapHint))
	var k string
	special := false
	for i := range n {
		if k, err = d.r.ReadKey(k, i == 0); err != nil {
			return nil, err
		}
		special = special || strings.HasPrefix(k, "$")
		if m[k], err = d.value(depth); err != nil {
			return nil, inKey(err, k)
		}
	}
	if special {
		if err := checkMap(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// kindName names the data-model kind of a decoded value, for messages.
func kindName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case string:
		return "a string"
	case []byte:
		return "bytes"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return "a link"
}
