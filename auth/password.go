package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/rhizome-pds/rhizome"
)

// Argon2id parameters for new hashes: OWASP's recommended minimum (19 MiB,
// 2 passes, 1 lane), which keeps a login near 30 ms on a Raspberry Pi-class
// core. Stored hashes carry their own parameters, so these can be raised.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
	// MaxPasswordLen bounds the input to the KDF.
	MaxPasswordLen = 256
)

var b64 = base64.RawStdEncoding

// HashPassword returns an argon2id hash of pw in the PHC string format.
func HashPassword(pw string) (string, error) {
	if len(pw) == 0 || len(pw) > MaxPasswordLen {
		return "", rhizome.Errorf("hash password", rhizome.Invalid, "password must be 1 to %d bytes", MaxPasswordLen)
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash: nil if it does, an
// Unauthorized error if it does not, Corrupt if hash is malformed.
func CheckPassword(hash, pw string) error {
	p, err := parsePHC(hash)
	if err != nil {
		return err
	}
	if len(pw) > MaxPasswordLen {
		return rhizome.E("check password", rhizome.Unauthorized, "invalid identifier or password")
	}
	got := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	if subtle.ConstantTimeCompare(got, p.key) != 1 {
		return rhizome.E("check password", rhizome.Unauthorized, "invalid identifier or password")
	}
	return nil
}

type phc struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parsePHC(s string) (*phc, error) {
	bad := rhizome.E("check password", rhizome.Corrupt, "stored password hash is malformed")
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return nil, bad
	}
	var p phc
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return nil, bad
	}
	var err1, err2 error
	p.salt, err1 = b64.DecodeString(parts[4])
	p.key, err2 = b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(p.key) < 16 || p.time == 0 || p.threads == 0 || p.memory > 1<<21 {
		return nil, bad
	}
	return &p, nil
}
