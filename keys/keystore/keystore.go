package keystore

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// Ext is the file name extension of key files.
const Ext = ".key"

// Entry describes a key file from its public header, read without the
// passphrase.
type Entry struct {
	Name      string         // the key's name: the file name without Ext
	Path      string         // the file's path
	PublicKey keys.PublicKey // the public half of the key
	Label     string         // free text given at creation
	Created   time.Time      // when the file was made, to the second, UTC
}

// nameRE is what a key name may look like: it becomes a file name, so no
// separators, no leading dot, and a bounded length.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// DefaultDir returns the user's keystore directory: "rhizome/keys" under
// the user configuration directory (os.UserConfigDir: $XDG_CONFIG_HOME or
// ~/.config on Linux). It is the user's, not a pod's: a pod's data folder
// never holds it.
func DefaultDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", rhizome.E("find keystore", rhizome.NotFound, err)
	}
	return filepath.Join(d, "rhizome", "keys"), nil
}

// Path returns the path of the key file called name in dir.
func Path(dir, name string) (string, error) {
	if !nameRE.MatchString(name) {
		return "", rhizome.Errorf("name key file", rhizome.Invalid,
			"key name %q must be 1-64 letters, digits, '.', '_' or '-', not starting with '.', '_' or '-'", clip(name))
	}
	return filepath.Join(dir, name+Ext), nil
}

// Create encrypts the private key of s under passphrase and writes it to a
// new key file called name in dir, creating dir (mode 0700) if needed. It
// refuses to replace an existing file. s must be a signer made by package
// keys (Generate, or a recovery phrase's RotationKey).
func Create(dir, name string, s keys.Signer, passphrase []byte, label string) (Entry, error) {
	const op = "create key file"
	path, err := Path(dir, name)
	if err != nil {
		return Entry{}, err
	}
	if err := checkCreate(s, passphrase, label); err != nil {
		return Entry{}, rhizome.E(op, rhizome.Invalid, err)
	}
	created := time.Now().UTC().Truncate(time.Second)
	data, err := seal(s, newHeader(s.PublicKey(), label, created), passphrase)
	if err != nil {
		return Entry{}, rhizome.E(op, rhizome.KindOf(err), err)
	}
	if err := writeNew(path, data); err != nil {
		return Entry{}, err
	}
	return Entry{Name: name, Path: path, PublicKey: s.PublicKey(), Label: label, Created: created}, nil
}

func checkCreate(s keys.Signer, passphrase []byte, label string) error {
	switch {
	case s == nil:
		return errors.New("no key")
	case len(passphrase) == 0:
		return errors.New("empty passphrase")
	}
	return checkLabel(label)
}

// Unlock decrypts the key file at path with passphrase and returns its
// signer. A wrong passphrase is rhizome.Unauthorized; a damaged or edited
// file is rhizome.Corrupt.
func Unlock(path string, passphrase []byte) (keys.Signer, error) {
	const op = "unlock key file"
	if len(passphrase) == 0 {
		return nil, rhizome.E(op, rhizome.Invalid, "empty passphrase")
	}
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	h, armored, err := decodeFile(b)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.Corrupt, "%s: %w", path, err)
	}
	s, err := open(h, armored, passphrase)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.KindOf(err), "%s: %w", path, err)
	}
	return s, nil
}

// Read returns the public description of the key file at path without
// decrypting it. The header is not authenticated until Unlock succeeds.
func Read(path string) (Entry, error) {
	b, err := readFile(path)
	if err != nil {
		return Entry{}, err
	}
	h, _, err := decodeFile(b)
	if err != nil {
		return Entry{}, rhizome.Errorf("read key file", rhizome.Corrupt, "%s: %w", path, err)
	}
	pub, created, err := h.check()
	if err != nil {
		return Entry{}, rhizome.Errorf("read key file", rhizome.Corrupt, "%s: %w", path, err)
	}
	name := strings.TrimSuffix(filepath.Base(path), Ext)
	return Entry{Name: name, Path: path, PublicKey: pub, Label: h.Label, Created: created}, nil
}

// List describes every key file in dir, sorted by name, without
// decrypting any. A missing dir holds no keys. Files whose header cannot
// be read are left out and reported together in the error (kind
// rhizome.Corrupt), alongside the entries that could be read.
func List(dir string) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, rhizome.E("list key files", rhizome.Other, err)
	}
	var out []Entry
	var bad []error
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), Ext)
		if !ok || !nameRE.MatchString(name) || !de.Type().IsRegular() {
			continue
		}
		e, err := Read(filepath.Join(dir, de.Name()))
		if err != nil {
			bad = append(bad, err)
			continue
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(bad) > 0 {
		return out, rhizome.E("list key files", rhizome.Corrupt, errors.Join(bad...))
	}
	return out, nil
}

// readFile reads a key file, refusing anything larger than a key file can
// be.
func readFile(path string) ([]byte, error) {
	const op = "read key file"
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, rhizome.Errorf(op, rhizome.NotFound, "no key file %s", path)
	}
	if err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	if len(b) > maxFileSize {
		return nil, rhizome.Errorf(op, rhizome.Corrupt, "%s is larger than %d bytes: not a key file", path, maxFileSize)
	}
	return b, nil
}
