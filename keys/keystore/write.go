package keystore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rhizome-pds/rhizome"
)

// writeNew writes data to a new file at path, all or nothing: a temporary
// file in the same directory (mode 0600) is written and fsynced, then
// hard-linked to path, which fails if path exists, so no key is ever
// replaced, not even by a concurrent Create. On file systems without hard
// links it falls back to a check and a rename.
func writeNew(path string, data []byte) error {
	const op = "create key file"
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return rhizome.E(op, rhizome.Other, err)
	}
	tmp, err := writeTemp(dir, filepath.Base(path), data)
	if err != nil {
		return rhizome.E(op, rhizome.Other, err)
	}
	defer os.Remove(tmp)
	if err := publish(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return rhizome.Errorf(op, rhizome.Exists, "%s already exists; key files are never overwritten", path)
		}
		return rhizome.E(op, rhizome.Other, err)
	}
	if err := syncDir(dir); err != nil {
		return rhizome.E(op, rhizome.Other, err)
	}
	return nil
}

// writeTemp writes data to a fresh hidden file in dir and returns its
// path. The file is 0600 from the moment it exists.
func writeTemp(dir, base string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// publish gives the complete file tmp its final name without replacing
// anything already there.
func publish(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	// No hard links here (some network and FUSE file systems): check,
	// then rename. A concurrent Create could slip between the two.
	if _, serr := os.Lstat(path); serr == nil {
		return fs.ErrExist
	}
	return os.Rename(tmp, path)
}

// syncDir makes the new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
