package keystore

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mr-tron/base58"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

func TestCreate_Unlock(t *testing.T) {
	for _, c := range []keys.Curve{keys.K256, keys.P256} {
		t.Run(c.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "nested", "keys")
			s := mustGenerate(t, c)
			before := time.Now().UTC().Truncate(time.Second)
			e, err := Create(dir, "rotation", s, testPass, "my rotation key")
			if err != nil {
				t.Fatal(err)
			}
			checkEntry(t, e, "rotation", filepath.Join(dir, "rotation.key"), s, "my rotation key", before)
			u, err := Unlock(e.Path, testPass)
			if err != nil {
				t.Fatal(err)
			}
			if !u.PublicKey().Equal(s.PublicKey()) {
				t.Fatalf("unlocked %s, created %s", u.PublicKey(), s.PublicKey())
			}
			sig, err := u.Sign([]byte("op"))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.PublicKey().Verify([]byte("op"), sig); err != nil {
				t.Fatalf("unlocked key's signature does not verify: %v", err)
			}
		})
	}
}

func checkEntry(t *testing.T, e Entry, name, path string, s keys.Signer, label string, notBefore time.Time) {
	t.Helper()
	if e.Name != name || e.Path != path || e.Label != label {
		t.Fatalf("entry = %+v, want name %q path %q label %q", e, name, path, label)
	}
	if !e.PublicKey.Equal(s.PublicKey()) {
		t.Fatalf("entry key %s, want %s", e.PublicKey, s.PublicKey())
	}
	if e.Created.Before(notBefore) || e.Created.After(time.Now()) || e.Created.Location() != time.UTC {
		t.Fatalf("created %v, want UTC in [%v, now]", e.Created, notBefore)
	}
}

func TestCreate_Files(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "keys")
	_, path := mustCreate(t, dir, "k1")
	t.Run("file mode 0600", func(t *testing.T) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("file mode %v, want 0600", fi.Mode().Perm())
		}
	})
	t.Run("directory mode 0700", func(t *testing.T) {
		for _, d := range []string{dir, filepath.Dir(dir)} {
			fi, err := os.Stat(d)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o700 {
				t.Fatalf("%s mode %v, want 0700", d, fi.Mode().Perm())
			}
		}
	})
	t.Run("no temporary files left", func(t *testing.T) {
		if m := tempFiles(t, dir); len(m) != 0 {
			t.Fatalf("left behind: %v", m)
		}
	})
}

func TestCreate_NoOverwrite(t *testing.T) {
	dir := t.TempDir()
	first, path := mustCreate(t, dir, "rotation")
	orig := mustRead(t, path)
	_, err := Create(dir, "rotation", mustGenerate(t, keys.K256), []byte("other"), "")
	wantKind(t, err, rhizome.Exists, "already exists")
	if !bytes.Equal(mustRead(t, path), orig) {
		t.Fatal("existing key file was changed")
	}
	u, err := Unlock(path, testPass)
	if err != nil || !u.PublicKey().Equal(first.PublicKey()) {
		t.Fatalf("original key no longer unlocks: %v", err)
	}
	if m := tempFiles(t, dir); len(m) != 0 {
		t.Fatalf("left behind: %v", m)
	}
}

func TestCreate_Invalid(t *testing.T) {
	dir := t.TempDir()
	s := mustGenerate(t, keys.K256)
	names := []string{"", ".hidden", "-flag", "a/b", "../up", "a b", "x\x00", strings.Repeat("n", 65), "é"}
	for _, n := range names {
		t.Run(fmt.Sprintf("name %q", n), func(t *testing.T) {
			_, err := Create(dir, n, s, testPass, "")
			wantKind(t, err, rhizome.Invalid, "key name")
		})
	}
	cases := []struct {
		name  string
		s     keys.Signer
		pass  []byte
		label string
		want  string
	}{
		{"nil signer", nil, testPass, "", "no key"},
		{"foreign signer", fakeSigner{s.PublicKey()}, testPass, "", "exportable"},
		{"empty passphrase", s, nil, "", "empty passphrase"},
		{"control character in label", s, testPass, "a\x1b[2Jb", "non-printing"},
		{"long label", s, testPass, strings.Repeat("l", 201), "longer than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Create(dir, "k", c.s, c.pass, c.label)
			wantKind(t, err, rhizome.Invalid, c.want)
		})
	}
	if des, _ := os.ReadDir(dir); len(des) != 0 {
		t.Fatalf("invalid Creates left %d files", len(des))
	}
}

// fakeSigner is a Signer package keys did not make, such as a hardware key.
type fakeSigner struct{ pub keys.PublicKey }

func (f fakeSigner) Sign([]byte) ([]byte, error) { return nil, nil }
func (f fakeSigner) PublicKey() keys.PublicKey   { return f.pub }

func TestUnlock_WrongPassphrase(t *testing.T) {
	_, path := mustCreate(t, t.TempDir(), "k")
	for _, p := range []string{"Correct horse battery staple", "correct horse battery stapl", "x"} {
		s, err := Unlock(path, []byte(p))
		wantKind(t, err, rhizome.Unauthorized, "wrong passphrase", path)
		if s != nil || strings.Contains(err.Error(), p) {
			t.Fatalf("signer %v, err %q", s, err)
		}
	}
	_, err := Unlock(path, nil)
	wantKind(t, err, rhizome.Invalid, "empty passphrase")
	_, err = Unlock(filepath.Join(t.TempDir(), "missing.key"), testPass)
	wantKind(t, err, rhizome.NotFound)
}

// TestKeyFile_NoKeyMaterial shows the file holds the key only encrypted:
// neither the private multibase, nor the raw scalar, nor its hex appear in
// the file or in its decoded binary ciphertext.
func TestKeyFile_NoKeyMaterial(t *testing.T) {
	s, path := mustCreate(t, t.TempDir(), "k")
	mb, err := keys.ExportPrivateMultibase(s)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base58.Decode(mb[1:])
	if err != nil || len(raw) != 34 {
		t.Fatalf("decode private multibase: %v", err)
	}
	scalar := raw[2:]
	file := mustRead(t, path)
	bin := armoredPayload(t, file)
	for name, secret := range map[string][]byte{
		"multibase": []byte(mb), "scalar": scalar, "scalar hex": []byte(hex.EncodeToString(scalar)),
	} {
		if bytes.Contains(file, secret) || bytes.Contains(bin, secret) {
			t.Fatalf("key file contains the private key's %s", name)
		}
	}
	if !bytes.Contains(file, []byte(s.PublicKey().DIDKey())) {
		t.Fatal("key file does not show its did:key in the clear")
	}
}

// armoredPayload decodes the base64 body of the file's age armor.
func armoredPayload(t *testing.T, file []byte) []byte {
	t.Helper()
	_, rest, _ := bytes.Cut(file, []byte("-----BEGIN AGE ENCRYPTED FILE-----\n"))
	b64, _, ok := bytes.Cut(rest, []byte("-----END AGE ENCRYPTED FILE-----"))
	if !ok {
		t.Fatal("no age armor in key file")
	}
	bin, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b64), "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(bin, []byte("age-encryption.org/v1\n-> scrypt ")) {
		t.Fatalf("payload is not an age scrypt file: %q", bin[:min(len(bin), 40)])
	}
	return bin
}

func TestWorkFactor(t *testing.T) {
	dir := t.TempDir()
	t.Run("recorded in the file", func(t *testing.T) {
		_, path := mustCreate(t, dir, "wf")
		stanza, _, _ := bytes.Cut(armoredPayload(t, mustRead(t, path))[len("age-encryption.org/v1\n"):], []byte("\n"))
		if f := strings.Fields(string(stanza)); len(f) != 4 || f[3] != fmt.Sprint(testWorkFactor) {
			t.Fatalf("stanza %q, want work factor %d", stanza, testWorkFactor)
		}
	})
	t.Run("out of range", func(t *testing.T) {
		defer func(w int) { WorkFactor = w }(WorkFactor)
		for _, w := range []int{-1, MaxWorkFactor + 1} {
			WorkFactor = w
			_, err := Create(dir, "bad", mustGenerate(t, keys.K256), testPass, "")
			wantKind(t, err, rhizome.Invalid, "work factor")
		}
	})
	t.Run("above the unlock cap", func(t *testing.T) {
		_, path := mustCreate(t, dir, "capped")
		defer func(m int) { MaxWorkFactor = m }(MaxWorkFactor)
		MaxWorkFactor = testWorkFactor - 1
		_, err := Unlock(path, testPass)
		wantKind(t, err, rhizome.Corrupt, "work factor too large")
	})
}
