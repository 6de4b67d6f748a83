package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/keys/keystore"
	"github.com/rhizome-pds/rhizome/keys/recovery"
)

const defaultKeyName = "rotation"

// keyPath is the key file --keystore and --key name.
func (f *idFlags) keyPath() (dir, path string, err error) {
	dir = f.keystore
	if dir == "" {
		if dir, err = keystore.DefaultDir(); err != nil {
			return "", "", err
		}
	}
	name := f.key
	if name == "" {
		name = defaultKeyName
	}
	path, err = keystore.Path(dir, name)
	return dir, path, err
}

// signer is the user's rotation key: from --phrase-file, else the
// keystore (unlocked with the passphrase).
func (f *idFlags) signer() (keys.Signer, error) {
	if f.phrase != "" {
		return phraseKey(f.phrase)
	}
	_, path, err := f.keyPath()
	if err != nil {
		return nil, err
	}
	if _, err := keystore.Read(path); err != nil {
		return nil, rhizome.Errorf("find rotation key", rhizome.KindOf(err), "%w (create one with `rhizome identity create`, name another with --key, or sign with --phrase-file)", err)
	}
	pass, err := keystore.Source{File: f.passphraseFile, Prompt: "Passphrase of " + path}.Passphrase()
	if err != nil {
		return nil, err
	}
	defer clear(pass)
	return keystore.Unlock(path, pass)
}

// phraseKey derives the rotation key from the recovery phrase in a file.
func phraseKey(file string) (keys.Signer, error) {
	b, err := readSmall(file, 4<<10)
	if err != nil {
		return nil, rhizome.Errorf("read recovery phrase", rhizome.KindOf(err), "%w", err)
	}
	defer clear(b)
	p, err := recovery.Parse(string(b))
	if err != nil {
		return nil, err
	}
	defer p.Wipe()
	return p.RotationKey()
}

// readSmall reads a whole small file, or standard input for "-".
func readSmall(file string, limit int64) ([]byte, error) {
	var r io.Reader = os.Stdin
	if file != "-" {
		fh, err := os.Open(file)
		if err != nil {
			return nil, rhizome.E("read file", rhizome.NotFound, err)
		}
		defer fh.Close()
		r = fh
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, rhizome.E("read file", rhizome.Other, err)
	}
	if int64(len(b)) > limit {
		return nil, rhizome.Errorf("read file", rhizome.TooLarge, "%s is larger than %d bytes", file, limit)
	}
	return b, nil
}

// ownerKey is the key show and audit treat as the user's: --owner, else
// the key of --phrase-file, else the public half of --key (no passphrase
// needed), else none.
func (f *idFlags) ownerKey() (string, error) {
	switch {
	case f.owner != "":
		k, err := keys.ParsePublicDIDKey(f.owner)
		if err != nil {
			return "", rhizome.E("read owner key", rhizome.Invalid, err)
		}
		return k.DIDKey(), nil
	case f.phrase != "":
		s, err := phraseKey(f.phrase)
		if err != nil {
			return "", err
		}
		return s.PublicKey().DIDKey(), nil
	case f.key != "":
		_, path, err := f.keyPath()
		if err != nil {
			return "", err
		}
		e, err := keystore.Read(path)
		if err != nil {
			return "", err
		}
		return e.PublicKey.DIDKey(), nil
	}
	return "", nil
}

// accountPassword reads the account password: --password-file, else
// $RHIZOME_ACCOUNT_PASSWORD, else the terminal (asked twice).
func (f *idFlags) accountPassword() (string, error) {
	return readAccountPassword(f.passwordFile, true)
}

// readAccountPassword reads an account password from file, else
// $RHIZOME_ACCOUNT_PASSWORD, else the terminal (twice if confirm).
func readAccountPassword(file string, confirm bool) (string, error) {
	const op = "read account password"
	if file != "" {
		b, err := readSmall(file, 4<<10)
		if err != nil {
			return "", err
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimSuffix(line, "\r"), nil
	}
	if v := os.Getenv("RHIZOME_ACCOUNT_PASSWORD"); v != "" {
		return v, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", rhizome.E(op, rhizome.Invalid, "no account password: give --password-file or $RHIZOME_ACCOUNT_PASSWORD")
	}
	return askPassword(fd, confirm)
}

func askPassword(fd int, confirm bool) (string, error) {
	ask := func(prompt string) ([]byte, error) {
		fmt.Fprint(os.Stderr, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		return b, err
	}
	a, err := ask("Account password: ")
	if err != nil {
		return "", rhizome.E("read account password", rhizome.Other, err)
	}
	if !confirm {
		return string(a), nil
	}
	b, err := ask("Again: ")
	if err != nil {
		return "", rhizome.E("read account password", rhizome.Other, err)
	}
	if !bytes.Equal(a, b) {
		return "", rhizome.E("read account password", rhizome.Invalid, "the two passwords differ")
	}
	return string(a), nil
}

// phraseBlock lays the 24 words out numbered, six to a line.
func phraseBlock(words []string) string {
	var sb strings.Builder
	w := bufio.NewWriter(&sb)
	for i, word := range words {
		fmt.Fprintf(w, "%3d %-9s", i+1, word)
		if (i+1)%6 == 0 {
			fmt.Fprintln(w)
		}
	}
	w.Flush()
	return sb.String()
}
