package dpop

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// ProofClaims are what a client binds a proof to.
type ProofClaims struct {
	Method      string    // the HTTP method
	URL         string    // the request URL; its query and fragment are left out of htu
	Nonce       string    // the server's latest DPoP-Nonce, or ""
	AccessToken string    // the access token sent with the request, or ""
	IssuedAt    time.Time // zero means now
	JTI         string    // "" means a fresh random one
}

// NewProof signs a DPoP proof with s, as a client does: for tests, and
// for the pod when it acts as an OAuth client. The signer's 64-byte low-S
// r||s signature over SHA-256 of the signing input is exactly a JWS
// ES256 (P-256) or ES256K (secp256k1) signature.
func NewProof(s keys.Signer, c ProofClaims) (string, error) {
	const op = "sign dpop proof"
	key, err := KeyFor(s.PublicKey())
	if err != nil {
		return "", rhizome.E(op, rhizome.Invalid, err)
	}
	header, err := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": key.Alg(), "jwk": key})
	if err != nil {
		return "", rhizome.E(op, rhizome.Other, err)
	}
	payload, err := json.Marshal(proofPayload(c))
	if err != nil {
		return "", rhizome.E(op, rhizome.Other, err)
	}
	input := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	sig, err := s.Sign([]byte(input))
	if err != nil {
		return "", rhizome.E(op, rhizome.Other, err)
	}
	return input + "." + b64.EncodeToString(sig), nil
}

func proofPayload(c ProofClaims) map[string]any {
	if c.IssuedAt.IsZero() {
		c.IssuedAt = time.Now()
	}
	if c.JTI == "" {
		c.JTI = rand.Text()
	}
	htu, _, _ := strings.Cut(c.URL, "#")
	htu, _, _ = strings.Cut(htu, "?")
	m := map[string]any{"jti": c.JTI, "htm": c.Method, "htu": htu, "iat": c.IssuedAt.Unix()}
	if c.Nonce != "" {
		m["nonce"] = c.Nonce
	}
	if c.AccessToken != "" {
		m["ath"] = AccessTokenHash(c.AccessToken)
	}
	return m
}

// FromHeader returns the DPoP proof of a request: "" when there is none,
// an CodeInvalidProof refusal when there are several or it is empty.
func FromHeader(h http.Header) (string, error) {
	vs := h.Values("DPoP")
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1:
		return "", refuse(CodeInvalidProof, "%d DPoP headers, want one", len(vs))
	case vs[0] == "":
		return "", refuse(CodeInvalidProof, "empty DPoP header")
	}
	return vs[0], nil
}

// Challenge returns the WWW-Authenticate value of a resource server's 401
// answer to err, naming the accepted algorithms and, for a refusal from
// Verify, its error code. Send a fresh nonce beside it (DPoP-Nonce).
func Challenge(err error) string {
	v := `DPoP algs="` + strings.Join(Algorithms(), " ") + `"`
	if name := rhizome.NameOf(err); name != "" {
		v += `, error="` + name + `"`
	}
	return v
}
