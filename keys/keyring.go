package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rhizome-pds/rhizome"
)

// Keyring seals the signing keys a pod holds for its accounts, so they can
// sit in a database that does not itself protect them: each key is
// encrypted with AES-256-GCM under the keyring's master key, and bound to a
// label (the account's DID) so a sealed key cannot be swapped between rows.
//
// A Keyring is the host's, not the user's: user-held rotation keys live in
// the user's own keystore and never reach the pod.
type Keyring struct {
	aead cipher.AEAD
}

const masterKeyLen = 32

// NewKeyring returns a keyring over a 32-byte master key.
func NewKeyring(master []byte) (*Keyring, error) {
	if len(master) != masterKeyLen {
		return nil, rhizome.Errorf("open keyring", rhizome.Invalid, "master key is %d bytes, want %d", len(master), masterKeyLen)
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, rhizome.E("open keyring", rhizome.Other, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, rhizome.E("open keyring", rhizome.Other, err)
	}
	return &Keyring{aead: aead}, nil
}

// LoadOrCreateKeyring reads the master key at path, creating it (0600, with
// a fresh random key) if the file does not exist.
func LoadOrCreateKeyring(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b = make([]byte, masterKeyLen)
		rand.Read(b)
		if err = writeNew(path, b); err != nil {
			return nil, rhizome.E("create keyring", rhizome.Other, err)
		}
	} else if err != nil {
		return nil, rhizome.E("load keyring", rhizome.Other, err)
	}
	defer clear(b)
	return NewKeyring(b)
}

// writeNew writes b to a new file at path, durably, failing if it exists.
func writeNew(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Seal encrypts the key of s for storage under label.
func (k *Keyring) Seal(s Signer, label string) ([]byte, error) {
	mb, err := ExportPrivateMultibase(s)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(mb)+k.aead.Overhead())
	rand.Read(nonce)
	plain := []byte(mb)
	defer clear(plain)
	return k.aead.Seal(nonce, nonce, plain, []byte(label)), nil
}

// Open decrypts a key sealed under label and returns its Signer.
func (k *Keyring) Open(sealed []byte, label string) (Signer, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, rhizome.E("open sealed key", rhizome.Corrupt, "sealed key is too short")
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(label))
	if err != nil {
		return nil, rhizome.E("open sealed key", rhizome.Corrupt, "sealed key does not open under this keyring and label")
	}
	defer clear(plain)
	return SignerFromMultibase(string(plain))
}
