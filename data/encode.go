package data

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/cid"
)

// MarshalCBOR encodes v as canonical DAG-CBOR (DRISL).
func MarshalCBOR(v any) ([]byte, error) { return AppendCBOR(nil, v) }

// AppendCBOR appends the canonical DAG-CBOR encoding of v to b. On error
// it returns b unchanged.
func AppendCBOR(b []byte, v any) ([]byte, error) {
	out, err := appendValue(b, v, 0)
	if err != nil {
		return b, rhizome.E("encode cbor", rhizome.Invalid, err)
	}
	return out, nil
}

// CID returns the dag-cbor CID of v: the hash of its canonical encoding.
func CID(v any) (cid.CID, error) {
	b, err := MarshalCBOR(v)
	if err != nil {
		return cid.CID{}, err
	}
	return cid.Sum(cid.DagCBOR, b), nil
}

// appendValue encodes v, found inside depth containers.
func appendValue(b []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return cbor.AppendNull(b), nil
	case bool:
		return cbor.AppendBool(b, x), nil
	case string:
		if !utf8.ValidString(x) {
			return b, errBadUTF8
		}
		return cbor.AppendText(b, x), nil
	case []byte:
		return cbor.AppendBytes(b, x), nil
	case cid.CID:
		if !x.Defined() {
			return b, errUndefinedLink
		}
		return cbor.AppendLink(b, x), nil
	case map[string]any:
		return appendMap(b, x, depth+1)
	case []any:
		return appendList(b, x, depth+1)
	case []string:
		return appendStrings(b, x, depth+1)
	case Blob:
		if err := x.check(); err != nil {
			return b, err
		}
		return appendMap(b, x.Map(), depth+1)
	}
	n, err := scalarInt(v)
	if err != nil {
		return b, err
	}
	return cbor.AppendInt(b, n), nil
}

var (
	errBadUTF8       = errors.New("string is not valid UTF-8")
	errUndefinedLink = errors.New("link is the undefined CID")
)

// scalarInt accepts the Go integer types and explains why anything else
// is not a value.
func scalarInt(v any) (int64, error) {
	if n, ok := intValue(v); ok {
		return n, nil
	}
	switch v.(type) {
	case uint, uint64:
		return 0, fmt.Errorf("integer %d exceeds the signed 64-bit range", v)
	case float32, float64:
		return 0, fmt.Errorf("float %v: the data model has no floats", v)
	}
	return 0, fmt.Errorf("type %T is not a data-model value", v)
}

func appendMap(b []byte, m map[string]any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return b, errTooDeep
	}
	var buf [smallMap]entry
	es, err := entries(buf[:0], m)
	if err != nil {
		return b, err
	}
	slices.SortFunc(es, func(x, y entry) int { return compareKeys(x.k, y.k) })
	b = cbor.AppendMapHeader(b, len(es))
	for _, e := range es {
		b = cbor.AppendText(b, e.k)
		if b, err = appendValue(b, e.v, depth); err != nil {
			return b, inKey(err, e.k)
		}
	}
	return b, nil
}

type entry struct {
	k string
	v any
}

// smallMap is how many entries an encoder sorts without allocating.
const smallMap = 8

// entries appends m's entries to es, checking m's keys: each is valid
// UTF-8, and those starting with '$' follow the data-model rules.
func entries(es []entry, m map[string]any) ([]entry, error) {
	special := false
	for k, v := range m {
		if !utf8.ValidString(k) {
			return nil, fmt.Errorf("map key %q: %w", k, errBadUTF8)
		}
		special = special || strings.HasPrefix(k, "$")
		es = append(es, entry{k, v})
	}
	if special {
		if err := checkMap(m); err != nil {
			return nil, err
		}
	}
	return es, nil
}

// compareKeys orders map keys canonically: shorter first, then bytewise.
func compareKeys(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func appendList(b []byte, l []any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return b, errTooDeep
	}
	b = cbor.AppendArrayHeader(b, len(l))
	for i, e := range l {
		var err error
		if b, err = appendValue(b, e, depth); err != nil {
			return b, inIndex(err, i)
		}
	}
	return b, nil
}

func appendStrings(b []byte, l []string, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return b, errTooDeep
	}
	b = cbor.AppendArrayHeader(b, len(l))
	for i, s := range l {
		if !utf8.ValidString(s) {
			return b, inIndex(errBadUTF8, i)
		}
		b = cbor.AppendText(b, s)
	}
	return b, nil
}
