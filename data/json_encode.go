package data

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// MarshalJSON encodes v as compact atproto JSON, object keys in bytewise
// order. It accepts the same values as MarshalCBOR and enforces the same
// rules.
func MarshalJSON(v any) ([]byte, error) {
	b, err := appendJSON(nil, v, 0)
	if err != nil {
		return nil, rhizome.E("encode json", rhizome.Invalid, err)
	}
	return b, nil
}

// appendJSON encodes v, found inside depth containers.
func appendJSON(b []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendJSONString(b, x)
	case []byte:
		return appendJSONBytes(b, x), nil
	case cid.CID:
		if !x.Defined() {
			return b, errUndefinedLink
		}
		return append(append(b, `{"$link":"`...), x.String()+`"}`...), nil
	case map[string]any:
		return appendJSONMap(b, x, depth+1)
	case []any:
		return appendJSONList(b, x, depth+1)
	case []string:
		return appendJSONStrings(b, x, depth+1)
	case Blob:
		if err := x.check(); err != nil {
			return b, err
		}
		return appendJSONMap(b, x.Map(), depth+1)
	}
	n, err := scalarInt(v)
	if err != nil {
		return b, err
	}
	return strconv.AppendInt(b, n, 10), nil
}

func appendJSONBytes(b, p []byte) []byte {
	b = append(b, `{"$bytes":"`...)
	b = base64.RawStdEncoding.AppendEncode(b, p)
	return append(b, `"}`...)
}

func appendJSONMap(b []byte, m map[string]any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return b, errTooDeep
	}
	var buf [smallMap]entry
	es, err := entries(buf[:0], m)
	if err != nil {
		return b, err
	}
	slices.SortFunc(es, func(x, y entry) int { return strings.Compare(x.k, y.k) })
	b = append(b, '{')
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b, _ = appendJSONString(b, e.k) // entries checked the UTF-8
		if b, err = appendJSON(append(b, ':'), e.v, depth); err != nil {
			return b, inKey(err, e.k)
		}
	}
	return append(b, '}'), nil
}

func appendJSONList(b []byte, l []any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return b, errTooDeep
	}
	b = append(b, '[')
	for i, e := range l {
		var err error
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendJSON(b, e, depth); err != nil {
			return b, inIndex(err, i)
		}
	}
	return append(b, ']'), nil
}

func appendJSONStrings(b []byte, l []string, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return b, errTooDeep
	}
	b = append(b, '[')
	for i, s := range l {
		var err error
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendJSONString(b, s); err != nil {
			return b, inIndex(err, i)
		}
	}
	return append(b, ']'), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s, escaping only what JSON requires (quote,
// backslash, control characters) plus U+2028 and U+2029, which some
// JavaScript parsers reject in strings.
func appendJSONString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return b, errBadUTF8
	}
	b = append(b, '"')
	start := 0
	for i, r := range s {
		esc := jsonEscape(r)
		if esc == "" {
			continue
		}
		b = append(append(b, s[start:i]...), esc...)
		start = i + utf8.RuneLen(r)
	}
	return append(append(b, s[start:]...), '"'), nil
}

// jsonEscape returns the escape sequence for r, or "" if r stands as is.
func jsonEscape(r rune) string {
	switch r {
	case '"':
		return `\"`
	case '\\':
		return `\\`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\u2028', '\u2029':
		return `\u202` + string(hexDigits[r&0xf])
	}
	if r < 0x20 {
		return `\u00` + string([]byte{hexDigits[r>>4], hexDigits[r&0xf]})
	}
	return ""
}
