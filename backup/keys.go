package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"filippo.io/age"

	"github.com/rhizome-pds/rhizome"
)

// The files at the top of an archive.
const (
	MarkerFile = "rhizome-backup.json" // in clear: the format and version, nothing else
	KeyFile    = "key.age"             // the archive's secrets, encrypted to the user
	objectsDir = "objects/"
	snapsDir   = "snapshots/"
)

// Version is the archive format version this package writes and reads.
const Version = 1

// WorkFactor is the base-2 logarithm of the scrypt cost a passphrase-
// protected archive key is sealed with; 0 means age's default (18).
// Tests lower it.
var WorkFactor = 0

// MaxWorkFactor bounds the scrypt cost Open attempts (2^20 is about
// 1 GiB of memory), so a doctored key file cannot demand more.
var MaxWorkFactor = 20

// Access is how the user protects an archive: the age recipients its key
// file is encrypted to (to create one) and the identities that open it.
type Access struct {
	Recipients []age.Recipient
	Identities []age.Identity
}

// Passphrase protects an archive with a passphrase (age's scrypt).
func Passphrase(p []byte) (Access, error) {
	r, err := age.NewScryptRecipient(string(p))
	if err != nil {
		return Access{}, rhizome.E("use passphrase", rhizome.Invalid, err)
	}
	if WorkFactor > 0 {
		r.SetWorkFactor(WorkFactor)
	}
	id, err := age.NewScryptIdentity(string(p))
	if err != nil {
		return Access{}, rhizome.E("use passphrase", rhizome.Invalid, err)
	}
	id.SetMaxWorkFactor(MaxWorkFactor)
	return Access{Recipients: []age.Recipient{r}, Identities: []age.Identity{id}}, nil
}

// ParseRecipients reads age recipients (age1…, one per line, # comments)
// as a --recipients-file holds them.
func ParseRecipients(text string) ([]age.Recipient, error) {
	rs, err := age.ParseRecipients(strings.NewReader(text))
	if err != nil {
		return nil, rhizome.Errorf("read recipients", rhizome.Invalid, "%w", err)
	}
	return rs, nil
}

// ParseIdentities reads an age identity file (AGE-SECRET-KEY-1…).
func ParseIdentities(text []byte) ([]age.Identity, error) {
	ids, err := age.ParseIdentities(bytes.NewReader(text))
	if err != nil {
		return nil, rhizome.Errorf("read identities", rhizome.Invalid, "%w", err)
	}
	return ids, nil
}

// secrets are what key.age holds.
type secrets struct {
	Version int `json:"version"`
	// Identity is the archive's own age X25519 identity: every object is
	// encrypted to its recipient, so opening key.age once opens them all.
	Identity string `json:"identity"`
	// NameKey keys the HMAC-SHA256 that names objects.
	NameKey []byte `json:"nameKey"`
}

func newSecrets() (*secrets, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, rhizome.E("make archive key", rhizome.Other, err)
	}
	s := &secrets{Version: Version, Identity: id.String(), NameKey: make([]byte, 32)}
	if _, err := rand.Read(s.NameKey); err != nil {
		return nil, rhizome.E("make archive key", rhizome.Other, err)
	}
	return s, nil
}

// seal encrypts the secrets to the user's recipients.
func (s *secrets) seal(rs []age.Recipient) ([]byte, error) {
	const op = "seal archive key"
	if len(rs) == 0 {
		return nil, rhizome.E(op, rhizome.Invalid, "no recipient and no passphrase: give --recipient, --recipients-file or a passphrase")
	}
	plain, err := json.Marshal(s)
	if err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	defer clear(plain)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		return nil, rhizome.E(op, rhizome.Invalid, err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	if err := w.Close(); err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	return buf.Bytes(), nil
}

// openSecrets decrypts key.age with the user's identities.
func openSecrets(b []byte, ids []age.Identity) (*secrets, error) {
	const op = "open archive key"
	if len(ids) == 0 {
		return nil, rhizome.E(op, rhizome.Invalid, "no identity and no passphrase to open the archive with")
	}
	r, err := age.Decrypt(bytes.NewReader(b), ids...)
	var noMatch *age.NoIdentityMatchError
	switch {
	case errors.As(err, &noMatch) || errors.Is(err, age.ErrIncorrectIdentity):
		return nil, rhizome.Errorf(op, rhizome.Unauthorized, "%s does not open with the passphrase or identities given (an archive made for --recipient keys opens with --identity)", KeyFile)
	case err != nil:
		return nil, rhizome.Errorf(op, rhizome.Corrupt, "%s: %w", KeyFile, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, 64<<10))
	defer clear(plain)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.Corrupt, "%s fails authentication (altered or truncated): %w", KeyFile, err)
	}
	var s secrets
	if err := json.Unmarshal(plain, &s); err != nil || s.Version != Version || len(s.NameKey) != 32 {
		return nil, rhizome.Errorf(op, rhizome.Corrupt, "%s does not hold version-%d archive secrets", KeyFile, Version)
	}
	return &s, nil
}

// marker is MarkerFile's content.
type marker struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
}

const formatName = "rhizome-backup"

func checkMarker(ctx context.Context, t Target) error {
	b, err := t.Get(ctx, MarkerFile)
	if err != nil {
		return err
	}
	var m marker
	if json.Unmarshal(b, &m) != nil || m.Format != formatName {
		return rhizome.Errorf("open archive", rhizome.Invalid, "%s is not a rhizome backup marker", MarkerFile)
	}
	if m.Version != Version {
		return rhizome.Errorf("open archive", rhizome.Invalid, "archive format version %d; this rhizome reads version %d", m.Version, Version)
	}
	return nil
}
