package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

// ServiceClaims are the claims of an inter-service JWT: the account (iss)
// vouches that the bearer may call method Lxm on service Aud.
type ServiceClaims struct {
	Iss string `json:"iss"` // a DID, optionally with a #service fragment
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
	Iat int64  `json:"iat"`
	Lxm string `json:"lxm,omitempty"`
	Jti string `json:"jti"`
}

// MaxServiceLifetime bounds how long a service token may live.
const MaxServiceLifetime = time.Hour

var b64url = base64.RawURLEncoding

// SignService returns a service JWT signed by s (the account's repository
// key), valid for life from now.
func SignService(s keys.Signer, iss syntax.DID, aud string, lxm syntax.NSID, now time.Time, life time.Duration) (string, error) {
	head, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": s.PublicKey().Curve().JWTAlg()})
	body, _ := json.Marshal(ServiceClaims{Iss: string(iss), Aud: aud, Lxm: string(lxm),
		Iat: now.Unix(), Exp: now.Add(life).Unix(), Jti: newID()})
	signing := b64url.EncodeToString(head) + "." + b64url.EncodeToString(body)
	sig, err := s.Sign([]byte(signing))
	if err != nil {
		return "", rhizome.E("sign service token", rhizome.Other, err)
	}
	return signing + "." + b64url.EncodeToString(sig), nil
}

// KeyFunc returns the current signing key of an issuer DID.
type KeyFunc func(iss syntax.DID) (keys.PublicKey, error)

// VerifyService checks a service JWT addressed to aud for method lxm (lxm
// may be empty to accept any method), using key to find the issuer's key.
func VerifyService(token, aud string, lxm syntax.NSID, key KeyFunc, now time.Time) (ServiceClaims, error) {
	bad := func(msg string) (ServiceClaims, error) {
		return ServiceClaims{}, rhizome.E("verify service token", rhizome.Unauthorized, msg).Named("InvalidToken")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return bad("malformed token")
	}
	var head struct{ Alg, Typ string }
	var c ServiceClaims
	if decodeJSON(parts[0], &head) != nil || decodeJSON(parts[1], &c) != nil {
		return bad("malformed token")
	}
	sig, err := b64url.DecodeString(parts[2])
	if err != nil {
		return bad("malformed signature")
	}
	switch {
	case c.Aud != aud:
		return bad("token is for another service")
	case lxm != "" && c.Lxm != string(lxm):
		return bad("token is for another method")
	case now.Unix() >= c.Exp:
		return ServiceClaims{}, rhizome.E("verify service token", rhizome.Unauthorized, "token has expired").Named("ExpiredToken")
	case c.Exp-c.Iat > int64(MaxServiceLifetime/time.Second) || c.Iat > now.Unix()+60:
		return bad("token lifetime is out of bounds")
	}
	iss, err := syntax.ParseDID(strings.SplitN(c.Iss, "#", 2)[0])
	if err != nil {
		return bad("issuer is not a DID")
	}
	pub, err := key(iss)
	if err != nil {
		return ServiceClaims{}, err
	}
	if pub.Curve().JWTAlg() != head.Alg || pub.Verify([]byte(parts[0]+"."+parts[1]), sig) != nil {
		return bad("signature does not verify")
	}
	return c, nil
}

func decodeJSON(part string, v any) error {
	b, err := b64url.DecodeString(part)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	return d.Decode(v)
}
