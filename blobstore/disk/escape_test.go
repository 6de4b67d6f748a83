package disk

import (
	"bytes"
	"github.com/rhizome-pds/rhizome/blobstore"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// trickyDIDs are valid DIDs that would be dangerous or ambiguous as raw
// path elements.
var trickyDIDs = []string{
	"did:web:..",
	"did:web:.",
	"did:web:...",
	"did:plc:..:..:etc",
	"did:web:Example.com",
	"did:web:example.com",
	"did:web:EXAMPLE.COM",
	"did:web:example.com%3A8080",
	"did:web:example.com:8080",
	"did:web:a_3ab",
	"did:web:a:b",
	"did:web:a%2Fb",
	"did:web:a%2E%2E",
	"did:web:tmp",
	"did:key:" + strings.Repeat("z", 2040),
	"did:key:" + strings.Repeat("z", 2039) + "y",
}

func TestEscapeDID(t *testing.T) {
	seen := map[string]string{}
	for _, s := range trickyDIDs {
		did, err := syntax.ParseDID(s)
		if err != nil {
			t.Fatalf("ParseDID(%q): %v", s, err)
		}
		e := blobstore.AccountSegment(did)
		t.Run(s[:min(len(s), 30)], func(t *testing.T) {
			if e == "." || e == ".." || e == tmpDirName || len(e) > blobstore.MaxAccountSegment {
				t.Fatalf("escape = %q", e)
			}
			if strings.Trim(e, "abcdefghijklmnopqrstuvwxyz0123456789._-") != "" {
				t.Fatalf("escape %q has characters outside [a-z0-9._-]", e)
			}
		})
		if prev, ok := seen[e]; ok {
			t.Fatalf("%q and %q both escape to %q", prev, s, e)
		}
		seen[e] = s
	}
}

func TestBlobStore_PathTraversal(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "store")
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	data := []byte("confined")
	t.Run("tricky DIDs stay inside their directory", func(t *testing.T) {
		for _, d := range trickyDIDs {
			did, _ := syntax.ParseDID(d)
			mustPut(t, s, did, data)
		}
		files := blobFiles(t, dir)
		if len(files) != len(trickyDIDs) {
			t.Fatalf("%d blob files for %d DIDs: %q", len(files), len(trickyDIDs), files)
		}
		for _, f := range files {
			if parts := strings.Split(f, string(filepath.Separator)); len(parts) != 3 {
				t.Fatalf("blob file %q is not <did>/<prefix>/<cid>", f)
			}
		}
		wantOnly(t, parent, "store")
	})
	t.Run("unparsed DIDs are refused", func(t *testing.T) {
		for _, d := range []string{"../../evil", "did:plc:../../x", "did:web:a/b", "", "did:plc:x\x00"} {
			wantRefused(t, s, syntax.DID(d), data)
		}
		wantOnly(t, parent, "store")
	})
}

// wantRefused checks that every method refuses did with Invalid.
func wantRefused(t *testing.T, s *BlobStore, did syntax.DID, data []byte) {
	t.Helper()
	ctx, c := t.Context(), cid.Sum(cid.Raw, data)
	_, _, perr := s.Put(ctx, did, bytes.NewReader(data), 100)
	_, _, gerr := s.Get(ctx, did, c, 0, -1)
	_, serr := s.Stat(ctx, did, c)
	for name, err := range map[string]error{
		"Put": perr, "Get": gerr, "Stat": serr,
		"Delete": s.Delete(ctx, did, c), "DeleteAll": s.DeleteAll(ctx, did),
	} {
		if !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("%s(%q) err = %v, want Invalid", name, did, err)
		}
	}
}

// wantOnly fails unless dir holds exactly the one entry name.
func wantOnly(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		t.Fatalf("%s holds %v, want only %s", dir, entries, name)
	}
}
