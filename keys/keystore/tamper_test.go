package keystore

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// TestUnlock_TamperedCiphertext flips one bit in every byte of the armored
// ciphertext in turn: each change must fail to unlock, as a wrong
// passphrase (a damaged scrypt block) or as corruption, never a panic.
// The file uses the smallest scrypt work factor to keep the ~700 unlocks
// quick.
func TestUnlock_TamperedCiphertext(t *testing.T) {
	defer func(w int) { WorkFactor = w }(WorkFactor)
	WorkFactor = 1
	dir := t.TempDir()
	_, path := mustCreate(t, dir, "k")
	orig := mustRead(t, path)
	start := bytes.Index(orig, []byte("-----BEGIN"))
	bad := filepath.Join(dir, "bad.key")
	for i := start; i < len(orig); i++ {
		b := bytes.Clone(orig)
		b[i] ^= 0x01
		mustWrite(t, bad, b)
		s, err := Unlock(bad, testPass)
		if err == nil || s != nil {
			t.Fatalf("flipping byte %d (%q) still unlocks", i, orig[i])
		}
		if k := rhizome.KindOf(err); k != rhizome.Corrupt && k != rhizome.Unauthorized {
			t.Fatalf("byte %d: kind %v (%v), want corrupt or unauthorized", i, k, err)
		}
	}
}

// TestUnlock_TamperedHeader edits the clear header: the encrypted copy no
// longer matches, so Unlock refuses even with the right passphrase.
func TestUnlock_TamperedHeader(t *testing.T) {
	dir := t.TempDir()
	_, path := mustCreate(t, dir, "k")
	orig := string(mustRead(t, path))
	other := mustGenerate(t, keys.K256).PublicKey().DIDKey()
	p256 := mustGenerate(t, keys.P256).PublicKey().DIDKey()
	did := headerField(t, orig, "didKey")
	cases := []struct {
		name, from, to, want string
	}{
		{"did:key swapped", did, other, "does not match"},
		{"did:key on the other curve", did, p256, "curve"},
		{"label", `"label":"test key"`, `"label":"test kez"`, "does not match"},
		{"label removed", `"label":"test key",`, ``, "does not match"},
		{"created", `"created":"2`, `"created":"1`, "does not match"},
		{"curve", `"curve":"secp256k1"`, `"curve":"P-256"`, "curve"},
		{"unknown field", `{"didKey"`, `{"x":1,"didKey"`, "malformed header"},
		{"trailing JSON", `"}` + "\n", `"} {}` + "\n", "trailing data"},
		{"magic", "rhizome-keystore-v1", "rhizome-keystore-v2", "not a rhizome key file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(orig, c.from) {
				t.Fatalf("test bug: %q not in file", c.from)
			}
			bad := filepath.Join(dir, "bad.key")
			mustWrite(t, bad, []byte(strings.Replace(orig, c.from, c.to, 1)))
			_, err := Unlock(bad, testPass)
			wantKind(t, err, rhizome.Corrupt, c.want)
		})
	}
}

// TestUnlock_SwappedBody puts one file's ciphertext under another's
// header, both under the same passphrase.
func TestUnlock_SwappedBody(t *testing.T) {
	dir := t.TempDir()
	_, a := mustCreate(t, dir, "a")
	_, b := mustCreate(t, dir, "b")
	fa, fb := string(mustRead(t, a)), string(mustRead(t, b))
	ia, ib := strings.Index(fa, "-----BEGIN"), strings.Index(fb, "-----BEGIN")
	mustWrite(t, a, []byte(fa[:ia]+fb[ib:]))
	_, err := Unlock(a, testPass)
	wantKind(t, err, rhizome.Corrupt, "clear header does not match")
}

func TestUnlock_Malformed(t *testing.T) {
	dir := t.TempDir()
	_, path := mustCreate(t, dir, "k")
	orig := mustRead(t, path)
	cases := map[string][]byte{
		"empty":            nil,
		"magic only":       []byte("rhizome-keystore-v1\n"),
		"no ciphertext":    orig[:bytes.Index(orig, []byte("-----BEGIN"))],
		"truncated":        orig[:len(orig)-40],
		"binary junk":      bytes.Repeat([]byte{0xff, 0x00}, 300),
		"too large":        append(bytes.Clone(orig), bytes.Repeat([]byte{'\n'}, maxFileSize)...),
		"trailing garbage": append(bytes.Clone(orig), "garbage"...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(dir, "bad.key")
			mustWrite(t, bad, b)
			_, err := Unlock(bad, testPass)
			wantKind(t, err, rhizome.Corrupt)
		})
	}
}

// headerField returns the JSON value of key in the file's header line.
func headerField(t *testing.T, file, key string) string {
	t.Helper()
	_, rest, _ := strings.Cut(file, `"`+key+`":"`)
	v, _, ok := strings.Cut(rest, `"`)
	if !ok {
		t.Fatalf("no %s in header", key)
	}
	return v
}

func TestRead_List(t *testing.T) {
	dir := t.TempDir()
	sb, _ := mustCreate(t, dir, "b-signing")
	sa, _ := mustCreate(t, dir, "a-rotation")
	mustWrite(t, filepath.Join(dir, "notes.txt"), []byte("not a key"))
	mustWrite(t, filepath.Join(dir, ".a-rotation.key.tmp-123"), []byte("partial"))
	if err := os.Mkdir(filepath.Join(dir, "sub.key"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Run("all good", func(t *testing.T) {
		es, err := List(dir)
		if err != nil {
			t.Fatal(err)
		}
		wantEntries(t, es, []string{"a-rotation", "b-signing"}, []keys.Signer{sa, sb})
	})
	t.Run("one broken", func(t *testing.T) {
		mustWrite(t, filepath.Join(dir, "broken.key"), []byte("rhizome-keystore-v1\n{}\n"))
		es, err := List(dir)
		wantKind(t, err, rhizome.Corrupt, "broken.key")
		wantEntries(t, es, []string{"a-rotation", "b-signing"}, []keys.Signer{sa, sb})
	})
	t.Run("missing directory", func(t *testing.T) {
		es, err := List(filepath.Join(dir, "nope"))
		if err != nil || len(es) != 0 {
			t.Fatalf("List(missing) = %v, %v; want nothing, nil", es, err)
		}
	})
	t.Run("read one", func(t *testing.T) {
		e, err := Read(filepath.Join(dir, "a-rotation.key"))
		if err != nil || e.Name != "a-rotation" || !e.PublicKey.Equal(sa.PublicKey()) || e.Label != "test key" {
			t.Fatalf("Read = %+v, %v", e, err)
		}
		_, err = Read(filepath.Join(dir, "none.key"))
		wantKind(t, err, rhizome.NotFound)
	})
}

func wantEntries(t *testing.T, es []Entry, names []string, ss []keys.Signer) {
	t.Helper()
	if len(es) != len(names) {
		t.Fatalf("got %d entries (%+v), want %v", len(es), es, names)
	}
	for i, e := range es {
		if e.Name != names[i] || !e.PublicKey.Equal(ss[i].PublicKey()) {
			t.Fatalf("entry %d = %s %s, want %s %s", i, e.Name, e.PublicKey, names[i], ss[i].PublicKey())
		}
	}
}

func TestPath(t *testing.T) {
	p, err := Path("/keys", "rotation.2025")
	if err != nil || p != filepath.Join("/keys", "rotation.2025.key") {
		t.Fatalf("Path = %q, %v", p, err)
	}
	_, err = Path("/keys", "../etc/passwd")
	wantKind(t, err, rhizome.Invalid, "key name")
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/tmp/cfg")
	t.Setenv("HOME", "/tmp/home")
	d, err := DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("/tmp/cfg", "rhizome", "keys"); d != want {
		t.Fatalf("DefaultDir() = %q, want %q", d, want)
	}
}
