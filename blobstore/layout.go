package blobstore

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/rhizome-pds/rhizome/syntax"
)

// MaxAccountSegment is the longest AccountSegment; longer escapes are
// replaced by a hash.
const MaxAccountSegment = 200

// AccountSegment turns a parsed DID into the one path element or key
// segment under which an implementation keeps the account's blobs, the
// same in every implementation so a store's files copy 1:1 to another:
// lower-case letters, digits, '.' and '-' stand for themselves and every
// other byte becomes '_' and two lower-case hex digits ("did:plc:x" is
// "did_3aplc_3ax"). The mapping is injective, the result never contains a
// separator, is never "." or ".." (it starts with "did_3a") and has no
// upper-case letters. An escape longer than MaxAccountSegment becomes
// "sha256-" and the hex SHA-256 of the DID, which cannot collide with an
// escape.
func AccountSegment(did syntax.DID) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 0, len(did)+16)
	for i := 0; i < len(did); i++ {
		switch c := did[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '.', c == '-':
			b = append(b, c)
		default:
			b = append(b, '_', digits[c>>4], digits[c&15])
		}
	}
	if len(b) > MaxAccountSegment {
		sum := sha256.Sum256([]byte(did))
		return "sha256-" + hex.EncodeToString(sum[:])
	}
	return string(b)
}
