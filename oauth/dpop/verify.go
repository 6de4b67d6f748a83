package dpop

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// The OAuth error codes of a refused proof, set as the Name of the
// *rhizome.Error Verify returns (all of kind rhizome.Unauthorized).
const (
	// CodeInvalidProof: the proof is malformed, forged, stale, replayed or
	// made for another request.
	CodeInvalidProof = "invalid_dpop_proof"
	// CodeUseNonce: the proof lacks the server's current nonce; answer
	// with a fresh one in the DPoP-Nonce header so the client retries.
	CodeUseNonce = "use_dpop_nonce"
	// CodeInvalidToken: the access token is bound to another key.
	CodeInvalidToken = "invalid_token"
)

// Defaults of Config.
const (
	DefaultMaxAge = time.Minute
	DefaultLeeway = time.Minute
	MaxJTILen     = 256
)

// Config configures a [Verifier].
type Config struct {
	Nonces *Nonces       // required: the atproto profile makes server nonces mandatory
	Replay ReplayCache   // required
	MaxAge time.Duration // how old a proof's iat may be; 0 means DefaultMaxAge
	Leeway time.Duration // clock skew tolerated either way; 0 means DefaultLeeway
	Now    func() time.Time
}

// Verifier checks DPoP proofs (RFC 9449 §4.3) for an authorization or a
// resource server. It is safe for concurrent use.
type Verifier struct {
	cfg Config
}

// NewVerifier returns a verifier.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Nonces == nil || cfg.Replay == nil {
		return nil, rhizome.E("new dpop verifier", rhizome.Invalid, "needs Nonces and Replay")
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg}, nil
}

// Request is what a proof must match.
type Request struct {
	// Method is the HTTP method, compared case-sensitively.
	Method string
	// URL is the URL the client addressed: the server's public origin
	// (from configuration, not from request headers) and the request
	// path. Its query is ignored.
	URL string
	// AccessToken is the access token sent with the proof, or "" at the
	// token endpoint. With a token, the proof must carry its hash (ath).
	AccessToken string
	// JKT is the thumbprint the access token or refresh token is bound to
	// (cnf.jkt), or "" when nothing is bound yet.
	JKT string
}

// Proof is a verified proof.
type Proof struct {
	JTI      string
	Method   string // htm
	URL      string // htu, as sent
	Nonce    string
	IssuedAt time.Time
	Key      *Key
	JKT      string // Key.Thumbprint(), to bind new tokens to
}

// Verify checks proof (the DPoP header's value) against req: the JWS
// header (typ dpop+jwt, alg ES256 or ES256K, a public jwk, no crit), the
// signature by that jwk, htm and htu, iat within [now-MaxAge-Leeway,
// now+Leeway], ath against the access token, the key against req.JKT,
// the nonce, and last that the jti was not used before. An error is a
// *rhizome.Error of kind Unauthorized named CodeInvalidProof, CodeUseNonce
// or CodeInvalidToken, or, if the replay cache fails, its error.
func (v *Verifier) Verify(ctx context.Context, proof string, req Request) (*Proof, error) {
	want, err := NormalizeHTU(req.URL)
	if err != nil {
		return nil, rhizome.E("verify dpop proof", rhizome.Other, err) // the server's mistake
	}
	j, err := parseJWS(proof)
	if err != nil {
		return nil, refuse(CodeInvalidProof, "%v", err)
	}
	key, err := checkHeader(j)
	if err != nil {
		return nil, err
	}
	p, err := v.checkClaims(j.claims, req, want)
	if err != nil {
		return nil, err
	}
	p.Key, p.JKT = key, key.Thumbprint()
	if req.JKT != "" && subtle.ConstantTimeCompare([]byte(req.JKT), []byte(p.JKT)) != 1 {
		return nil, refuse(CodeInvalidToken, "the token is bound to another key")
	}
	if err := v.checkNonce(p.Nonce); err != nil {
		return nil, err
	}
	return p, v.remember(ctx, p)
}

// checkHeader checks the JWS header and the signature, returning the key.
func checkHeader(j *jws) (*Key, error) {
	typ, err := j.header.need("typ")
	if t := strings.ToLower(typ); err != nil || t != "dpop+jwt" && t != "application/dpop+jwt" {
		return nil, refuse(CodeInvalidProof, "typ %q, want dpop+jwt", clip(typ))
	}
	alg, _ := j.header.need("alg")
	if alg != ES256 && alg != ES256K {
		return nil, refuse(CodeInvalidProof, "alg %q: want ES256 or ES256K", clip(alg))
	}
	if _, ok := j.header["crit"]; ok {
		return nil, refuse(CodeInvalidProof, "crit header: no extensions are understood")
	}
	raw, ok := j.header["jwk"]
	if !ok {
		return nil, refuse(CodeInvalidProof, "missing jwk")
	}
	key, err := parseKey(raw)
	if err != nil {
		return nil, refuse(CodeInvalidProof, "jwk: %v", err)
	}
	if key.alg != "" && key.alg != alg {
		return nil, refuse(CodeInvalidProof, "jwk alg %q differs from the header's %q", clip(key.alg), alg)
	}
	if err := key.Verify(alg, j.signingInput, j.sig); err != nil {
		return nil, refuse(CodeInvalidProof, "%v", err)
	}
	return key, nil
}

// checkClaims checks the payload against req and the clock.
func (v *Verifier) checkClaims(c object, req Request, wantURL string) (*Proof, error) {
	var p Proof
	var iat int64
	var errs [6]error
	p.JTI, errs[0] = c.need("jti")
	p.Method, errs[1] = c.need("htm")
	p.URL, errs[2] = c.need("htu")
	iat, errs[3] = c.seconds("iat")
	p.Nonce, _, errs[4] = c.str("nonce")
	ath, hasAth, err := c.str("ath")
	errs[5] = err
	if err := errors.Join(errs[:]...); err != nil {
		return nil, refuse(CodeInvalidProof, "%v", err)
	}
	if len(p.JTI) > MaxJTILen {
		return nil, refuse(CodeInvalidProof, "jti longer than %d bytes", MaxJTILen)
	}
	if p.Method != req.Method {
		return nil, refuse(CodeInvalidProof, "htm %q does not match the request method %s", clip(p.Method), req.Method)
	}
	if got, err := normalizeHTU(p.URL); err != nil || got != wantURL {
		return nil, refuse(CodeInvalidProof, "htu %q does not match the request URL %s", clip(p.URL), wantURL)
	}
	p.IssuedAt = time.Unix(iat, 0)
	if err := v.checkTime(p.IssuedAt); err != nil {
		return nil, err
	}
	return &p, checkATH(ath, hasAth, req.AccessToken)
}

func (v *Verifier) checkTime(iat time.Time) error {
	now := v.cfg.Now()
	switch {
	case iat.After(now.Add(v.cfg.Leeway)):
		return refuse(CodeInvalidProof, "iat %s is in the future", iat.UTC().Format(time.RFC3339))
	case iat.Before(now.Add(-v.cfg.MaxAge - v.cfg.Leeway)):
		return refuse(CodeInvalidProof, "iat %s is too old", iat.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkATH checks the access-token hash: required and matching with a
// token, absent without one.
func checkATH(ath string, has bool, token string) error {
	switch {
	case token == "" && has:
		return refuse(CodeInvalidProof, "ath without an access token")
	case token == "":
		return nil
	case !has:
		return refuse(CodeInvalidProof, "missing ath for the access token")
	case subtle.ConstantTimeCompare([]byte(ath), []byte(AccessTokenHash(token))) != 1:
		return refuse(CodeInvalidProof, "ath does not match the access token")
	}
	return nil
}

func (v *Verifier) checkNonce(nonce string) error {
	switch {
	case nonce == "":
		return refuse(CodeUseNonce, "the server requires a nonce")
	case !v.cfg.Nonces.Valid(nonce):
		return refuse(CodeUseNonce, "stale or unknown nonce")
	}
	return nil
}

// remember records the proof's jti until it could no longer pass the time
// check, refusing it if it was seen before.
func (v *Verifier) remember(ctx context.Context, p *Proof) error {
	exp := p.IssuedAt.Add(v.cfg.MaxAge + v.cfg.Leeway + time.Second)
	fresh, err := v.cfg.Replay.Remember(ctx, replayKey(p.JKT, p.JTI), exp)
	switch {
	case err != nil:
		return err
	case !fresh:
		return refuse(CodeInvalidProof, "proof replayed (jti used before)")
	}
	return nil
}

// AccessTokenHash returns the ath of an access token: base64url of its
// SHA-256.
func AccessTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return b64.EncodeToString(sum[:])
}

// refuse builds a refusal named with an OAuth error code.
func refuse(name, format string, args ...any) error {
	return rhizome.Errorf("verify dpop proof", rhizome.Unauthorized, format, args...).Named(name)
}

// NeedsNonce reports whether err asks the client to retry with a fresh
// nonce.
func NeedsNonce(err error) bool { return rhizome.NameOf(err) == CodeUseNonce }

// ReplayCache returns the verifier's cache of used proofs, for other
// one-time tokens of the same server (client assertions' jti) to share
// it. Callers must keep their keys apart from the proofs' (a prefix of
// their own, hashed).
func (v *Verifier) ReplayCache() ReplayCache { return v.cfg.Replay }
