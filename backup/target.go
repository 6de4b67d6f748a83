package backup

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
)

// Target is where an archive's files live. Names are slash-separated
// paths ("objects/ab/ab12…", "snapshots/…", "key.age"). Every file is
// written once, whole, by Put and never modified; an S3 bucket can be a
// Target as well as a folder.
type Target interface {
	// Put stores data under name atomically: a reader sees the whole
	// file or none. Putting a name that exists replaces it.
	Put(ctx context.Context, name string, data []byte) error
	// Get reads a whole file; a missing one is rhizome.NotFound.
	Get(ctx context.Context, name string) ([]byte, error)
	// Has reports whether name exists.
	Has(ctx context.Context, name string) (bool, error)
	// List returns the names under prefix (a folder, ending in "/"),
	// sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// Delete removes a file (pruning); a missing one is not an error.
	Delete(ctx context.Context, name string) error
}

// Dir is a Target in a local folder.
type Dir string

const opTarget = "backup target"

// checkName accepts a relative slash path without "..", backslashes or
// empty elements.
func checkName(name string) error {
	if name == "" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.Contains(name, "//") {
		return rhizome.Errorf(opTarget, rhizome.Invalid, "bad archive file name %q", name)
	}
	return nil
}

func (d Dir) path(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	return filepath.Join(string(d), filepath.FromSlash(name)), nil
}

// Put writes a temporary file beside the final one, syncs it and renames
// it into place.
func (d Dir) Put(_ context.Context, name string, data []byte) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return rhizome.E(opTarget, rhizome.Other, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return rhizome.E(opTarget, rhizome.Other, err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		return rhizome.Errorf(opTarget, rhizome.Other, "write %s: %w", name, err)
	}
	return nil
}

// Get reads a file.
func (d Dir) Get(_ context.Context, name string) ([]byte, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, rhizome.Errorf(opTarget, rhizome.NotFound, "%s is missing from the archive", name)
	}
	if err != nil {
		return nil, rhizome.Errorf(opTarget, rhizome.Other, "read %s: %w", name, err)
	}
	return b, nil
}

// Has stats a file.
func (d Dir) Has(_ context.Context, name string) (bool, error) {
	p, err := d.path(name)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, rhizome.E(opTarget, rhizome.Other, err)
}

// Delete removes a file.
func (d Dir) Delete(_ context.Context, name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rhizome.E(opTarget, rhizome.Other, err)
	}
	return nil
}

// List walks the folder under prefix, skipping temporary files.
func (d Dir) List(_ context.Context, prefix string) ([]string, error) {
	root, err := d.path(strings.TrimSuffix(prefix, "/"))
	if err != nil {
		return nil, err
	}
	var out []string
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipAll
			}
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".tmp-") {
			return nil
		}
		rel, err := filepath.Rel(string(d), p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return nil, rhizome.Errorf(opTarget, rhizome.Other, "list %s: %w", prefix, err)
	}
	slices.Sort(out)
	return out, nil
}
