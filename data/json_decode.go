package data

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// UnmarshalJSON decodes one atproto JSON value that spans all of b
// (surrounding whitespace aside).
func UnmarshalJSON(b []byte) (any, error) {
	v, err := decodeJSON(b)
	if err != nil {
		return nil, rhizome.E("decode json", rhizome.Invalid, err)
	}
	return v, nil
}

// UnmarshalJSONObject is UnmarshalJSON for data that must be an object,
// such as a record or the body of a procedure call.
func UnmarshalJSONObject(b []byte) (map[string]any, error) {
	v, err := decodeJSON(b)
	if err == nil {
		m, ok := v.(map[string]any)
		if ok {
			return m, nil
		}
		err = fmt.Errorf("want an object, not %s", kindName(v))
	}
	return nil, rhizome.E("decode json", rhizome.Invalid, err)
}

// DecodeRecordJSON decodes a record in JSON: an object whose $type is a
// non-empty string. Its size is not limited here: the bound applies to
// the record's CBOR encoding.
func DecodeRecordJSON(b []byte) (map[string]any, error) {
	v, err := decodeJSON(b)
	if err == nil {
		var m map[string]any
		if m, err = recordMap(v); err == nil {
			return m, nil
		}
	}
	return nil, rhizome.E("decode record json", rhizome.Invalid, err)
}

func decodeJSON(b []byte) (any, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("input is not valid UTF-8")
	}
	d := jsonDecoder{dec: json.NewDecoder(bytes.NewReader(b))}
	d.dec.UseNumber()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the value")
	}
	return v, nil
}

type jsonDecoder struct {
	dec *json.Decoder
}

// value decodes one value found inside depth containers.
func (d *jsonDecoder) value(depth int) (any, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return nil, unexpectedEOF(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return d.list(depth + 1)
		}
		if t == '{' {
			return d.object(depth + 1)
		}
	case json.Number:
		return parseInteger(string(t))
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected %v", tok)
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (d *jsonDecoder) list(depth int) ([]any, error) {
	if depth > MaxDepth {
		return nil, errTooDeep
	}
	l := []any{}
	for d.dec.More() {
		v, err := d.value(depth)
		if err != nil {
			return nil, inIndex(err, len(l))
		}
		l = append(l, v)
	}
	return l, d.closing()
}

// closing consumes the ']' or '}' that ends a container.
func (d *jsonDecoder) closing() error {
	_, err := d.dec.Token()
	return unexpectedEOF(err)
}

// object decodes an object at the given depth, which may be one more than
// MaxDepth if the object turns out to be a $link or $bytes wrapper: those
// are links and bytes, not maps, so the CBOR side does not count them.
func (d *jsonDecoder) object(depth int) (any, error) {
	if depth > MaxDepth+1 {
		return nil, errTooDeep
	}
	m, err := d.members(depth)
	if err != nil {
		return nil, err
	}
	if _, ok := m[keyLink]; ok {
		return linkObject(m)
	}
	if _, ok := m[keyBytes]; ok {
		return bytesObject(m)
	}
	if depth > MaxDepth {
		return nil, errTooDeep
	}
	return m, checkMap(m)
}

// members reads an object's key/value pairs up to its closing brace.
func (d *jsonDecoder) members(depth int) (map[string]any, error) {
	m := map[string]any{}
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return nil, unexpectedEOF(err)
		}
		k, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("unexpected %v where an object key belongs", tok)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("key %q repeated", k)
		}
		if m[k], err = d.value(depth); err != nil {
			return nil, inKey(err, k)
		}
	}
	return m, d.closing()
}

func linkObject(m map[string]any) (cid.CID, error) {
	s, ok := m[keyLink].(string)
	if !ok || len(m) != 1 {
		return cid.CID{}, errors.New(`a $link object must be exactly {"$link": "<cid>"}`)
	}
	c, err := cid.Parse(s)
	if err != nil {
		return cid.CID{}, fmt.Errorf("$link: %w", err)
	}
	return c, nil
}

func bytesObject(m map[string]any) ([]byte, error) {
	s, ok := m[keyBytes].(string)
	if !ok || len(m) != 1 {
		return nil, errors.New(`a $bytes object must be exactly {"$bytes": "<base64>"}`)
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("$bytes: line breaks in base64")
	}
	enc := base64.RawStdEncoding
	if strings.HasSuffix(s, "=") {
		enc = base64.StdEncoding
	}
	p, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("$bytes: %w", err)
	}
	return p, nil
}

// parseInteger converts a JSON number to an int64 exactly. A number with a
// fraction or exponent is accepted when its value is a whole number in
// range (123.0, 1.5e3); it is never rounded through a float64.
func parseInteger(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	mant, expStr, hasExp := strings.Cut(strings.TrimPrefix(s, "-"), "e")
	if !hasExp {
		mant, expStr, hasExp = strings.Cut(mant, "E")
	}
	whole, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(whole+frac, "0")
	sig := strings.TrimRight(digits, "0")
	if sig == "" {
		return 0, nil
	}
	exp := int64(len(digits)-len(sig)) - int64(len(frac))
	if hasExp {
		e, err := strconv.ParseInt(expStr, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("number %s is out of range", s)
		}
		exp += e
	}
	return wholeNumber(s, neg, sig, exp)
}

// wholeNumber is the integer sig × 10^exp (negated if neg), where sig has
// no leading or trailing zeros; s is the original text, for messages.
func wholeNumber(s string, neg bool, sig string, exp int64) (int64, error) {
	if exp < 0 {
		return 0, fmt.Errorf("number %s is not an integer: the data model has no floats", s)
	}
	if int64(len(sig))+exp > 19 {
		return 0, fmt.Errorf("number %s exceeds the signed 64-bit range", s)
	}
	text := sig + strings.Repeat("0", int(exp))
	if neg {
		text = "-" + text
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("number %s exceeds the signed 64-bit range", s)
	}
	return n, nil
}
