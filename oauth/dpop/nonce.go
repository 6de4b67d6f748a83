package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// MinNonceSecret is the shortest nonce secret NewNonces accepts, in bytes.
const MinNonceSecret = 32

// DefaultNoncePeriod is how often nonces rotate unless told otherwise.
const DefaultNoncePeriod = time.Minute

// NonceConfig configures [Nonces].
type NonceConfig struct {
	// Secret keys the nonces. Nodes that share it issue and accept the
	// same nonces. At least MinNonceSecret bytes.
	Secret []byte
	// Period is how long one nonce is issued for; 0 means
	// DefaultNoncePeriod. At least a second.
	Period time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Nonces issues and checks the server nonces of DPoP proofs. A nonce is an
// HMAC of the number of the current time window under a secret, so nodes
// that share the secret agree without talking to each other, and a nonce
// needs no storage. A nonce is accepted in the window it was issued for,
// the one after it, and the one before it (for a node whose clock runs
// slightly ahead of the issuing node's): it lives between one and two
// periods, plus any clock skew. Nonces is safe for concurrent use.
type Nonces struct {
	key    []byte
	period time.Duration
	now    func() time.Time
}

// NewNonces returns a nonce source.
func NewNonces(cfg NonceConfig) (*Nonces, error) {
	const op = "new dpop nonces"
	if len(cfg.Secret) < MinNonceSecret {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "secret of %d bytes, want at least %d", len(cfg.Secret), MinNonceSecret)
	}
	if cfg.Period == 0 {
		cfg.Period = DefaultNoncePeriod
	}
	if cfg.Period < time.Second {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "period %v is shorter than a second", cfg.Period)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Nonces{key: append([]byte(nil), cfg.Secret...), period: cfg.Period, now: cfg.Now}, nil
}

// Next returns the nonce to hand to clients now (in the DPoP-Nonce
// response header).
func (n *Nonces) Next() string {
	return n.compute(n.window())
}

// Valid reports whether nonce is one this source issued for the previous,
// current or next window.
func (n *Nonces) Valid(nonce string) bool {
	w := n.window()
	ok := false
	for _, c := range [...]int64{w - 1, w, w + 1} {
		// Compare with every candidate, so the time taken says nothing.
		ok = hmac.Equal([]byte(n.compute(c)), []byte(nonce)) || ok
	}
	return ok
}

func (n *Nonces) window() int64 {
	return n.now().UnixNano() / int64(n.period)
}

// compute returns the nonce of window w: the first 16 bytes of
// HMAC-SHA256(secret, label || w), base64url (22 characters).
func (n *Nonces) compute(w int64) string {
	mac := hmac.New(sha256.New, n.key)
	mac.Write([]byte("rhizome dpop nonce v1\x00"))
	mac.Write(binary.BigEndian.AppendUint64(nil, uint64(w)))
	return b64.EncodeToString(mac.Sum(nil)[:16])
}
