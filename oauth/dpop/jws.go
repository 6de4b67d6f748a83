package dpop

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// MaxProofSize bounds the proofs Verify reads, in bytes.
const MaxProofSize = 8 << 10

// b64 is unpadded base64url that refuses non-zero padding bits, so each
// value has one encoding.
var b64 = base64.RawURLEncoding.Strict()

// object is a decoded JSON object, its members by exact name.
type object map[string]json.RawMessage

// jws is a compact JWS split and decoded, not yet verified.
type jws struct {
	header, claims object
	signingInput   []byte // the first two segments as sent
	sig            []byte
}

// parseJWS splits and decodes a compact JWS ("header.payload.signature").
// Header and payload must be JSON objects without duplicate members.
func parseJWS(s string) (*jws, error) {
	if len(s) > MaxProofSize {
		return nil, fmt.Errorf("%d bytes, more than %d", len(s), MaxProofSize)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS (three base64url segments)")
	}
	var j jws
	var err error
	if j.header, err = decodeSegment(parts[0]); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if j.claims, err = decodeSegment(parts[1]); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	if j.sig, err = b64.DecodeString(parts[2]); err != nil {
		return nil, errors.New("signature: not base64url")
	}
	j.signingInput = []byte(s[:len(parts[0])+1+len(parts[1])])
	return &j, nil
}

func decodeSegment(seg string) (object, error) {
	raw, err := b64.DecodeString(seg)
	if err != nil {
		return nil, errors.New("not base64url")
	}
	return decodeObject(raw)
}

// decodeObject decodes a JSON object, refusing duplicate member names
// (which parsers resolve differently) and trailing data.
func decodeObject(raw []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	obj := object{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		name, _ := tok.(string)
		if _, dup := obj[name]; dup {
			return nil, fmt.Errorf("member %q appears twice", name)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		obj[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("data after the JSON object")
	}
	return obj, nil
}

// str returns the string member name; present is false when it is absent.
func (o object) str(name string) (v string, present bool, err error) {
	raw, ok := o[name]
	if !ok {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", true, fmt.Errorf("%s is not a string", name)
	}
	return v, true, nil
}

// need returns the string member name, which must be present and
// non-empty.
func (o object) need(name string) (string, error) {
	v, ok, err := o.str(name)
	switch {
	case err != nil:
		return "", err
	case !ok || v == "":
		return "", fmt.Errorf("missing %s", name)
	}
	return v, nil
}

// seconds returns the numeric member name, a time in seconds since the
// epoch (fractions are dropped).
func (o object) seconds(name string) (int64, error) {
	raw, ok := o[name]
	if !ok {
		return 0, fmt.Errorf("missing %s", name)
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || math.IsNaN(f) || f < 0 || f > 1<<40 {
		return 0, fmt.Errorf("%s is not a time in seconds", name)
	}
	return int64(f), nil
}
