package disk

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// syncDir fsyncs a directory so the entries created, renamed or removed in
// it survive a crash.
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

// mkdirSynced creates dir (mode 0700) if absent and, when it did, fsyncs
// the parent so the new entry is durable.
func mkdirSynced(dir string) error {
	err := os.Mkdir(dir, dirPerm)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}
