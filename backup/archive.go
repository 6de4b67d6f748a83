package backup

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"sync/atomic"

	"filippo.io/age"

	"github.com/rhizome-pds/rhizome"
)

// Archive is an opened archive: its target and its secrets.
type Archive struct {
	t       Target
	id      *age.X25519Identity
	rcpt    *age.X25519Recipient
	nameKey []byte

	// What this Archive wrote: files and bytes put on the target.
	objectsWritten, bytesWritten atomic.Int64
}

// Open opens the archive on t with the user's identities (or passphrase).
// A target without an archive is rhizome.NotFound.
func Open(ctx context.Context, t Target, a Access) (*Archive, error) {
	if err := checkMarker(ctx, t); err != nil {
		return nil, err
	}
	b, err := t.Get(ctx, KeyFile)
	if err != nil {
		return nil, err
	}
	s, err := openSecrets(b, a.Identities)
	if err != nil {
		return nil, err
	}
	return fromSecrets(t, s)
}

// Create makes a new archive on t whose key is encrypted to a.Recipients.
// A target that holds an archive already is rhizome.Exists.
func Create(ctx context.Context, t Target, a Access) (*Archive, error) {
	const op = "create archive"
	if ok, err := t.Has(ctx, KeyFile); err != nil || ok {
		if err == nil {
			err = rhizome.E(op, rhizome.Exists, "the target holds an archive already")
		}
		return nil, err
	}
	s, err := newSecrets()
	if err != nil {
		return nil, err
	}
	sealed, err := s.seal(a.Recipients)
	if err != nil {
		return nil, err
	}
	mk, _ := json.Marshal(marker{Format: formatName, Version: Version})
	if err := t.Put(ctx, MarkerFile, append(mk, '\n')); err != nil {
		return nil, err
	}
	if err := t.Put(ctx, KeyFile, sealed); err != nil {
		return nil, err
	}
	return fromSecrets(t, s)
}

// OpenOrCreate opens the archive on t, or creates one if there is none.
func OpenOrCreate(ctx context.Context, t Target, a Access) (*Archive, bool, error) {
	ok, err := t.Has(ctx, KeyFile)
	if err != nil {
		return nil, false, err
	}
	if ok {
		ar, err := Open(ctx, t, a)
		return ar, false, err
	}
	ar, err := Create(ctx, t, a)
	return ar, true, err
}

func fromSecrets(t Target, s *secrets) (*Archive, error) {
	id, err := age.ParseX25519Identity(s.Identity)
	if err != nil {
		return nil, rhizome.Errorf("open archive key", rhizome.Corrupt, "%s: %w", KeyFile, err)
	}
	return &Archive{t: t, id: id, rcpt: id.Recipient(), nameKey: s.NameKey}, nil
}

// Written reports the files and bytes this Archive put on its target.
func (a *Archive) Written() (files, bytes int64) {
	return a.objectsWritten.Load(), a.bytesWritten.Load()
}

// nameOf is the keyed hash of plain that names its object.
func (a *Archive) nameOf(dir string, plain []byte) string {
	m := hmac.New(sha256.New, a.nameKey)
	m.Write(plain)
	h := hex.EncodeToString(m.Sum(nil))
	if dir == objectsDir {
		return dir + h[:2] + "/" + h
	}
	return dir + h
}

// put stores plain as an encrypted object unless one of that name is
// there already; it returns the name and whether it wrote.
func (a *Archive) put(ctx context.Context, dir string, plain []byte) (string, bool, error) {
	name := a.nameOf(dir, plain)
	if ok, err := a.t.Has(ctx, name); err != nil || ok {
		return name, false, err
	}
	var buf bytes.Buffer
	buf.Grow(len(plain) + len(plain)/4096 + 256)
	w, err := age.Encrypt(&buf, a.rcpt)
	if err == nil {
		_, err = w.Write(plain)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return "", false, rhizome.Errorf("encrypt object", rhizome.Other, "%w", err)
	}
	if err := a.t.Put(ctx, name, buf.Bytes()); err != nil {
		return "", false, err
	}
	a.objectsWritten.Add(1)
	a.bytesWritten.Add(int64(buf.Len()))
	return name, true, nil
}

// get reads, decrypts and checks one object: it must decrypt under the
// archive's key (age authenticates every 64 KiB chunk and the end, so a
// changed or cut byte fails) and hash to its name.
func (a *Archive) get(ctx context.Context, name string) ([]byte, error) {
	const op = "read object"
	if !a.validName(name) {
		return nil, rhizome.Errorf(op, rhizome.Corrupt, "%q is not an object name", name)
	}
	b, err := a.t.Get(ctx, name)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.KindOf(err), "object %s: %w", name, err)
	}
	r, err := age.Decrypt(bytes.NewReader(b), a.id)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.Corrupt, "object %s does not decrypt with the archive's key (altered or not this archive's): %w", name, err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.Corrupt, "object %s fails authentication (altered or truncated): %w", name, err)
	}
	dir := name[:strings.IndexByte(name, '/')+1]
	if a.nameOf(dir, plain) != name {
		return nil, rhizome.Errorf(op, rhizome.Corrupt, "object %s decrypts to content of another name (swapped or replaced)", name)
	}
	return plain, nil
}

// validName accepts objects/xx/<64 hex> and snapshots/<64 hex>.
func (a *Archive) validName(name string) bool {
	var h string
	switch {
	case strings.HasPrefix(name, objectsDir):
		rest := name[len(objectsDir):]
		if len(rest) != 3+64 || rest[2] != '/' || rest[:2] != rest[3:5] {
			return false
		}
		h = rest[3:]
	case strings.HasPrefix(name, snapsDir):
		h = name[len(snapsDir):]
	default:
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && len(h) == 64
}
