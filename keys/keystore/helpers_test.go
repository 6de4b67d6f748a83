package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// testWorkFactor keeps scrypt at 2^10 (1 MiB) so each unlock takes about a
// millisecond.
const testWorkFactor = 10

func TestMain(m *testing.M) {
	WorkFactor = testWorkFactor
	os.Exit(m.Run())
}

var testPass = []byte("correct horse battery staple")

func mustGenerate(t *testing.T, c keys.Curve) keys.Signer {
	t.Helper()
	s, err := keys.Generate(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mustCreate writes a fresh key called name in dir and returns its signer
// and path.
func mustCreate(t *testing.T, dir, name string) (keys.Signer, string) {
	t.Helper()
	s := mustGenerate(t, keys.K256)
	e, err := Create(dir, name, s, testPass, "test key")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return s, e.Path
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// wantKind fails unless err is a *rhizome.Error of the given kind whose
// message contains each of subs.
func wantKind(t *testing.T, err error, kind rhizome.Kind, subs ...string) {
	t.Helper()
	var e *rhizome.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want a *rhizome.Error of kind %v", err, err, kind)
	}
	if rhizome.KindOf(err) != kind {
		t.Fatalf("kind = %v (%v), want %v", rhizome.KindOf(err), err, kind)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("err = %q, want it to contain %q", err, s)
		}
	}
}

// tempFiles lists leftover temporary files in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
