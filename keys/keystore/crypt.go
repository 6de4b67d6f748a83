package keystore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// WorkFactor is the base-2 logarithm of the scrypt cost Create uses. Zero
// means age's default, 18. Tests lower it to stay fast; it must not exceed
// MaxWorkFactor or the file could not be unlocked.
var WorkFactor = 0

// MaxWorkFactor is the highest scrypt work factor Unlock will attempt:
// 2^20 costs about 1 GiB of memory. It bounds what a doctored file can
// demand.
var MaxWorkFactor = 20

// seal builds the bytes of a key file holding s under passphrase.
func seal(s keys.Signer, h header, passphrase []byte) ([]byte, error) {
	mb, err := keys.ExportPrivateMultibase(s)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(body{Header: h, PrivateKeyMultibase: mb})
	if err != nil {
		return nil, rhizome.E("seal key", rhizome.Other, err)
	}
	defer clear(plain)
	armored, err := encrypt(plain, passphrase)
	if err != nil {
		return nil, err
	}
	return encodeFile(h, armored)
}

// encrypt seals plain into an armored age file for an scrypt recipient.
func encrypt(plain, passphrase []byte) ([]byte, error) {
	const op = "encrypt key"
	if WorkFactor < 0 || WorkFactor > MaxWorkFactor {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "scrypt work factor %d is outside 0..%d", WorkFactor, MaxWorkFactor)
	}
	r, err := age.NewScryptRecipient(string(passphrase))
	if err != nil {
		return nil, rhizome.E(op, rhizome.Invalid, err)
	}
	if WorkFactor > 0 {
		r.SetWorkFactor(WorkFactor)
	}
	var buf bytes.Buffer
	a := armor.NewWriter(&buf)
	w, err := age.Encrypt(a, r)
	if err == nil {
		_, err = w.Write(plain)
	}
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		err = a.Close()
	}
	if err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	return buf.Bytes(), nil
}

// open decrypts the armored body of a key file and returns its signer,
// after checking the body against the clear header h.
func open(h header, armored, passphrase []byte) (keys.Signer, error) {
	if _, _, err := h.check(); err != nil {
		return nil, rhizome.E("", rhizome.Corrupt, err)
	}
	plain, err := decrypt(armored, passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	var b body
	if err := strictJSON(plain, &b); err != nil {
		return nil, rhizome.Errorf("", rhizome.Corrupt, "malformed encrypted body: %w", err)
	}
	if b.Header != h {
		return nil, rhizome.E("", rhizome.Corrupt, "clear header does not match the encrypted copy: the file was edited")
	}
	s, err := keys.SignerFromMultibase(b.PrivateKeyMultibase)
	if err != nil {
		return nil, rhizome.E("", rhizome.Corrupt, err)
	}
	if s.PublicKey().DIDKey() != h.DIDKey {
		return nil, rhizome.E("", rhizome.Corrupt, "private key does not match the header's did:key")
	}
	return s, nil
}

// decrypt opens an armored age file with an scrypt identity.
func decrypt(armored, passphrase []byte) ([]byte, error) {
	id, err := age.NewScryptIdentity(string(passphrase))
	if err != nil {
		return nil, rhizome.E("", rhizome.Invalid, err)
	}
	id.SetMaxWorkFactor(MaxWorkFactor)
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(armored)), id)
	if errors.Is(err, age.ErrIncorrectIdentity) {
		return nil, rhizome.E("", rhizome.Unauthorized, "wrong passphrase")
	}
	if err != nil {
		return nil, rhizome.Errorf("", rhizome.Corrupt, "encrypted body: %w", err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxPlaintext+1))
	if err != nil {
		clear(plain)
		return nil, rhizome.E("", rhizome.Corrupt, fmt.Errorf("encrypted body fails authentication: %w", err))
	}
	if len(plain) > maxPlaintext {
		clear(plain)
		return nil, rhizome.E("", rhizome.Corrupt, "encrypted body is too large")
	}
	return plain, nil
}
