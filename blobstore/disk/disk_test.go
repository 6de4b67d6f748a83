package disk

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/blobstore/blobtest"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

func TestBlobStore_Conformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blobstore.Store {
		s, dir := open(t)
		t.Cleanup(func() { wantNoTemp(t, dir) })
		return s
	})
}

// open opens a store in a fresh directory.
func open(t *testing.T) (*BlobStore, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, dir
}

func mustDID(t testing.TB, s string) syntax.DID {
	t.Helper()
	d, err := syntax.ParseDID(s)
	if err != nil {
		t.Fatalf("ParseDID(%q): %v", s, err)
	}
	return d
}

func mustPut(t *testing.T, s *BlobStore, did syntax.DID, data []byte) cid.CID {
	t.Helper()
	c, _, err := s.Put(t.Context(), did, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return c
}

// wantNoTemp fails if anything is left in dir/tmp.
func wantNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, tmpDirName))
	if err != nil {
		t.Fatalf("read tmp: %v", err)
	}
	for _, e := range entries {
		t.Errorf("left in tmp: %s", e.Name())
	}
}

// blobFiles lists the regular files under dir outside tmp, relative to dir.
func blobFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !strings.HasPrefix(rel, tmpDirName+string(filepath.Separator)) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return files
}

func TestBlobStore_Layout(t *testing.T) {
	s, dir := open(t)
	did := mustDID(t, "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
	c := mustPut(t, s, did, []byte("hello blob"))
	name := c.String()
	if !strings.HasPrefix(name, "bafkrei") {
		t.Fatalf("raw CID %s does not start with bafkrei", name)
	}
	want := filepath.Join("did_3aplc_3aewvi7nxzyoun6zhxrhs64oiz", name[8:10], name)
	t.Run("one file where expected", func(t *testing.T) {
		if got := blobFiles(t, dir); len(got) != 1 || got[0] != want {
			t.Fatalf("files = %q, want [%q]", got, want)
		}
	})
	t.Run("same content again", func(t *testing.T) {
		mustPut(t, s, did, []byte("hello blob"))
		if got := blobFiles(t, dir); len(got) != 1 {
			t.Fatalf("files = %q after re-Put, want one", got)
		}
		wantNoTemp(t, dir)
	})
}

func TestBlobStore_Concurrent(t *testing.T) {
	s, dir := open(t)
	did := mustDID(t, "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
	data := bytes.Repeat([]byte("same bytes "), 20000)
	errs := make(chan error, 12)
	for range 12 {
		go func() {
			_, _, err := s.Put(t.Context(), did, bytes.NewReader(data), 1<<20)
			errs <- err
		}()
	}
	for range 12 {
		if err := <-errs; err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	if got := blobFiles(t, dir); len(got) != 1 {
		t.Fatalf("files = %q after concurrent Puts, want one", got)
	}
	wantNoTemp(t, dir)
}

func TestOpen_CleansLeftovers(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	did := mustDID(t, "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
	c := mustPut(t, s, did, []byte("kept"))
	tmp := filepath.Join(dir, tmpDirName)
	old := time.Now().Add(-2 * staleAfter)
	writeFile(t, filepath.Join(tmp, tmpPrefix+"crashed"), old)
	writeFile(t, filepath.Join(tmp, tmpPrefix+"running"), time.Now())
	writeFile(t, filepath.Join(tmp, delPrefix+"half", "account", "ab", "blob"), time.Now())
	s, err = Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Run("removes stale and half-deleted", func(t *testing.T) {
		entries, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != tmpPrefix+"running" {
			t.Fatalf("tmp holds %v, want only the recent temp file", entries)
		}
	})
	t.Run("keeps blobs", func(t *testing.T) {
		if n, err := s.Stat(t.Context(), did, c); err != nil || n != 4 {
			t.Fatalf("Stat after reopen = %d, %v", n, err)
		}
	})
}

// writeFile creates a file (and its directories) with modification time mt.
func writeFile(t *testing.T, path string, mt time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mt, mt); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_Rejects(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file); err == nil {
		t.Fatal("Open on a regular file succeeded")
	}
}

func TestOpen_CreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	mustPut(t, s, mustDID(t, "did:plc:ewvi7nxzyoun6zhxrhs64oiz"), []byte("x"))
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("created dir: %v, %v; want mode 0700", fi, err)
	}
}

func TestBlobStore_Permissions(t *testing.T) {
	s, dir := open(t)
	for _, d := range []string{"did:plc:ewvi7nxzyoun6zhxrhs64oiz", "did:web:example.com"} {
		mustPut(t, s, mustDID(t, d), []byte("private bytes of "+d))
	}
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir { // the root is the operator's: see TestOpen_CreatesDir
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil || files != 2 {
		t.Fatalf("walk: %v, %d files; want 2", err, files)
	}
}

func TestBlobStore_Errors(t *testing.T) {
	s, _ := open(t)
	did := mustDID(t, "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
	t.Run("negative max", func(t *testing.T) {
		_, _, err := s.Put(t.Context(), did, bytes.NewReader(nil), -1)
		if !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err = %v, want Invalid", err)
		}
	})
	t.Run("undefined CID", func(t *testing.T) {
		if err := s.Delete(t.Context(), did, cid.CID{}); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("Delete err = %v, want Invalid", err)
		}
		if _, err := s.Stat(t.Context(), did, cid.CID{}); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("Stat err = %v, want Invalid", err)
		}
	})
	t.Run("dag-cbor CID", func(t *testing.T) {
		if err := s.Delete(t.Context(), did, cid.Sum(cid.DagCBOR, nil)); err != nil {
			t.Fatalf("Delete err = %v, want nil", err)
		}
	})
}

func TestBlobStore_PutDuringDeleteAll(t *testing.T) {
	did := mustDID(t, "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
	t.Run("same process", func(t *testing.T) {
		s, dir := open(t)
		errs := putWhileDeleting(t, s, s, did)
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("Puts during DeleteAll: %v", err)
		}
		wantNoTemp(t, dir)
	})
	t.Run("another process", func(t *testing.T) {
		s, dir := open(t)
		other, err := Open(dir) // shares no lock with s
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		// Retries make failures rare, not impossible, against a
		// DeleteAll loop; whatever happens leaves no garbage and the
		// account usable.
		putWhileDeleting(t, s, other, did)
		wantNoTemp(t, dir)
		c := mustPut(t, s, did, []byte("after"))
		if n, err := s.Stat(t.Context(), did, c); err != nil || n != 5 {
			t.Fatalf("Stat after = %d, %v", n, err)
		}
	})
}

// putWhileDeleting runs 100 Puts on s while del runs DeleteAll for did in
// a loop, and returns the Puts' errors.
func putWhileDeleting(t *testing.T, s, del *BlobStore, did syntax.DID) []error {
	t.Helper()
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		var err error
		for n := 0; ; n++ {
			select {
			case <-stop:
				done <- err
				return
			default:
			}
			err = errors.Join(err, del.DeleteAll(t.Context(), did))
			if n%8 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	var errs []error
	for i := range 100 {
		data := []byte("blob " + strings.Repeat("x", i))
		_, _, err := s.Put(t.Context(), did, bytes.NewReader(data), 1000)
		errs = append(errs, err)
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("DeleteAll during Puts: %v", err)
	}
	return errs
}
