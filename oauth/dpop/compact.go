package dpop

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// JWS is a compact JWS ("header.payload.signature") split and decoded,
// for JWTs other than proofs that are signed with keys of this package:
// an OAuth client assertion, say. Header and payload are JSON objects
// without duplicate members. Nothing in it is trusted until Verify
// succeeds with the key the header names.
type JWS struct {
	j *jws
}

// ParseJWS splits and decodes a compact JWS of at most MaxProofSize
// bytes. It checks no signature and no claim.
func ParseJWS(s string) (*JWS, error) {
	j, err := parseJWS(s)
	if err != nil {
		return nil, rhizome.E("parse jws", rhizome.Invalid, err)
	}
	return &JWS{j: j}, nil
}

// Alg returns the header's alg, "" when absent or not a string.
func (s *JWS) Alg() string {
	alg, _, _ := s.j.header.str("alg")
	return alg
}

// Header returns the string header member name; present is false when it
// is absent, err set when it is not a string.
func (s *JWS) Header(name string) (v string, present bool, err error) {
	return s.j.header.str(name)
}

// Claim returns the string claim name, as Header does.
func (s *JWS) Claim(name string) (v string, present bool, err error) {
	return s.j.claims.str(name)
}

// ClaimTime returns the numeric date claim name (RFC 7519 §2: seconds
// since the epoch; fractions are dropped).
func (s *JWS) ClaimTime(name string) (t time.Time, present bool, err error) {
	if _, ok := s.j.claims[name]; !ok {
		return time.Time{}, false, nil
	}
	sec, err := s.j.claims.seconds(name)
	if err != nil {
		return time.Time{}, true, err
	}
	return time.Unix(sec, 0), true, nil
}

// ClaimStrings returns a claim that is a string or an array of strings,
// as aud may be (RFC 7519 §4.1.3), always as a slice.
func (s *JWS) ClaimStrings(name string) (v []string, present bool, err error) {
	raw, ok := s.j.claims[name]
	if !ok {
		return nil, false, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, true, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, true, fmt.Errorf("%s is not a string or an array of strings", name)
	}
	return v, true, nil
}

// Verify checks the signature by k: the header's alg must be ES256 or
// ES256K and k's algorithm (and the JWK's own alg member, if it has one),
// and the header must not carry crit, whose extensions no one here
// understands. Only after it succeeds may the claims be believed.
func (s *JWS) Verify(k *Key) error {
	const op = "verify jws"
	alg := s.Alg()
	switch {
	case alg != ES256 && alg != ES256K:
		return rhizome.Errorf(op, rhizome.Invalid, "alg %q: want ES256 or ES256K", clip(alg))
	case k.alg != "" && k.alg != alg:
		return rhizome.Errorf(op, rhizome.Invalid, "the key is for %q, the JWS says %q", clip(k.alg), alg)
	}
	if _, ok := s.j.header["crit"]; ok {
		return rhizome.E(op, rhizome.Invalid, "crit header: no extensions are understood")
	}
	return k.Verify(alg, s.j.signingInput, s.j.sig)
}

// SignJWS signs claims as a compact JWS with s, as a client signs a JWT
// that is not a proof (a client assertion, say): header holds the extra
// header members (kid, typ) and gets alg from the key.
func SignJWS(s keys.Signer, header, claims map[string]any) (string, error) {
	const op = "sign jws"
	key, err := KeyFor(s.PublicKey())
	if err != nil {
		return "", rhizome.E(op, rhizome.Invalid, err)
	}
	h := map[string]any{"alg": key.Alg()}
	for k, v := range header {
		if k != "alg" {
			h[k] = v
		}
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", rhizome.E(op, rhizome.Invalid, err)
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", rhizome.E(op, rhizome.Invalid, err)
	}
	input := b64.EncodeToString(hb) + "." + b64.EncodeToString(cb)
	sig, err := s.Sign([]byte(input))
	if err != nil {
		return "", rhizome.E(op, rhizome.Other, err)
	}
	return input + "." + b64.EncodeToString(sig), nil
}
