package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/store/storetest"
)

// openTemp opens a fresh store in a test's temporary directory.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "sub", "rhizome.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore_Conformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

// TestStore_ConformanceRowByRow runs the suite with aggregate block reads
// limited to 200 bytes, so that the suite's repository reads (a few blocks
// and up) take the row-by-row path. (Without that path, the suite fails.)
func TestStore_ConformanceRowByRow(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := openTemp(t)
		s.scanMax = 200
		return s
	})
}
