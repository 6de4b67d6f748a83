package keystore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode"

	"github.com/rhizome-pds/rhizome/keys"
)

// magic is the first line of every key file, naming the format version.
const magic = "rhizome-keystore-v1"

// Limits on what a key file may hold.
const (
	maxFileSize  = 16 << 10 // a key file is well under 1 KiB
	maxPlaintext = 4 << 10
	maxLabelLen  = 200
)

// header is the public part of a key file, stored in the clear and, as a
// copy, inside the encrypted body.
type header struct {
	DIDKey  string `json:"didKey"`
	Curve   string `json:"curve"`
	Label   string `json:"label,omitempty"`
	Created string `json:"created"`
}

// body is the plaintext of the encrypted part.
type body struct {
	Header              header `json:"header"`
	PrivateKeyMultibase string `json:"privateKeyMultibase"`
}

// newHeader describes the public half of s.
func newHeader(pub keys.PublicKey, label string, created time.Time) header {
	return header{
		DIDKey:  pub.DIDKey(),
		Curve:   pub.Curve().String(),
		Label:   label,
		Created: created.UTC().Format(time.RFC3339),
	}
}

// check validates a header read from a file and returns its public key
// and creation time.
func (h header) check() (keys.PublicKey, time.Time, error) {
	pub, err := keys.ParsePublicDIDKey(h.DIDKey)
	if err != nil {
		return nil, time.Time{}, err
	}
	if pub.Curve().String() != h.Curve {
		return nil, time.Time{}, fmt.Errorf("header says curve %q, did:key is %s", clip(h.Curve), pub.Curve())
	}
	if err := checkLabel(h.Label); err != nil {
		return nil, time.Time{}, err
	}
	created, err := time.Parse(time.RFC3339, h.Created)
	if err != nil {
		return nil, time.Time{}, errors.New("header has a malformed creation time")
	}
	return pub, created, nil
}

// checkLabel accepts a label of printable characters within the length
// limit: labels are shown on terminals, where control characters could
// rewrite what the user sees.
func checkLabel(label string) error {
	if len(label) > maxLabelLen {
		return fmt.Errorf("label is %d bytes, longer than %d", len(label), maxLabelLen)
	}
	for _, r := range label {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("label contains the non-printing character %U", r)
		}
	}
	return nil
}

// encodeFile lays out a key file: the magic line, the header line and the
// armored age ciphertext.
func encodeFile(h header, armored []byte) ([]byte, error) {
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(magic)+len(hj)+len(armored)+2)
	out = append(append(out, magic...), '\n')
	out = append(append(out, hj...), '\n')
	return append(out, armored...), nil
}

// decodeFile splits a key file into its header and armored ciphertext.
func decodeFile(b []byte) (header, []byte, error) {
	var h header
	first, rest, ok := bytes.Cut(b, []byte{'\n'})
	if !ok || string(first) != magic {
		return h, nil, errors.New("not a rhizome key file (missing " + magic + " line)")
	}
	line, armored, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok {
		return h, nil, errors.New("key file ends after its first line")
	}
	if err := strictJSON(line, &h); err != nil {
		return h, nil, fmt.Errorf("malformed header: %w", err)
	}
	return h, armored, nil
}

// strictJSON decodes exactly one JSON value with no unknown fields.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return errors.New("not the expected JSON object")
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// clip shortens untrusted input quoted in an error.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
