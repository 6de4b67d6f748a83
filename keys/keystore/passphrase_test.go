package keystore

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
)

// unsetEnv removes EnvVar for the test, restoring it afterwards.
func unsetEnv(t *testing.T) {
	t.Helper()
	t.Setenv(EnvVar, "")
	os.Unsetenv(EnvVar)
}

func TestSource_Passphrase_File(t *testing.T) {
	unsetEnv(t)
	dir := t.TempDir()
	ok := map[string]string{
		"newline":         "s3cret\n",
		"crlf":            "s3cret\r\n",
		"no newline":      "s3cret",
		"first line only": "s3cret\nsecond line\n",
	}
	for name, content := range ok {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, "pass")
			mustWrite(t, p, []byte(content))
			got, err := Source{File: p}.Passphrase()
			if err != nil || string(got) != "s3cret" {
				t.Fatalf("got %q, %v; want s3cret", got, err)
			}
		})
	}
	t.Run("spaces kept", func(t *testing.T) {
		p := filepath.Join(dir, "spaced")
		mustWrite(t, p, []byte(" two words \n"))
		if got, err := (Source{File: p}).Passphrase(); err != nil || string(got) != " two words " {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	bad := []struct{ name, content, want string }{
		{"empty", "", "empty passphrase"},
		{"empty first line", "\nsecond\n", "empty passphrase"},
		{"too large", strings.Repeat("x", maxPassphraseFile+1), "larger than"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad")
			mustWrite(t, p, []byte(c.content))
			_, err := Source{File: p}.Passphrase()
			wantKind(t, err, rhizome.Invalid, c.want)
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := Source{File: filepath.Join(dir, "none")}.Passphrase()
		wantKind(t, err, rhizome.NotFound, "does not exist")
	})
}

func TestSource_Passphrase_Env(t *testing.T) {
	t.Run("set", func(t *testing.T) {
		t.Setenv(EnvVar, "from env")
		got, err := Source{}.Passphrase()
		if err != nil || string(got) != "from env" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("set but empty", func(t *testing.T) {
		t.Setenv(EnvVar, "")
		_, err := Source{}.Passphrase()
		wantKind(t, err, rhizome.Invalid, EnvVar, "empty passphrase")
	})
	t.Run("file wins", func(t *testing.T) {
		t.Setenv(EnvVar, "from env")
		p := filepath.Join(t.TempDir(), "pass")
		mustWrite(t, p, []byte("from file\n"))
		got, err := Source{File: p}.Passphrase()
		if err != nil || string(got) != "from file" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
}

func TestSource_Passphrase_NotTerminal(t *testing.T) {
	unsetEnv(t)
	p := filepath.Join(t.TempDir(), "stdin")
	mustWrite(t, p, []byte("typed\n"))
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = Source{In: f}.Passphrase()
	wantKind(t, err, rhizome.Invalid, "not on a terminal", "--passphrase-file", EnvVar)
}

// lines returns a read function that yields one line of input per call,
// as term.ReadPassword does.
func lines(input string) func() ([]byte, error) {
	r := bufio.NewReader(strings.NewReader(input))
	return func() ([]byte, error) {
		l, err := r.ReadString('\n')
		if err != nil && (l == "" || !errors.Is(err, io.EOF)) {
			return nil, err
		}
		return []byte(strings.TrimSuffix(l, "\n")), nil
	}
}

func TestAsk(t *testing.T) {
	cases := []struct {
		name, input, prompt string
		confirm             bool
		want, wantErr       string
		wantOut             string
	}{
		{"once", "pw\n", "", false, "pw", "", "Passphrase: \n"},
		{"confirmed", "pw\npw\n", "New passphrase", true, "pw", "", "New passphrase: \nRepeat new passphrase: \n"},
		{"mismatch", "pw\npx\n", "", true, "", "do not match", ""},
		{"empty", "\n", "", false, "", "empty passphrase", ""},
		{"empty repeat", "pw\n\n", "", true, "", "empty passphrase", ""},
		{"end of input", "", "", false, "", "EOF", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := ask(lines(c.input), &out, c.prompt, c.confirm)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || got != nil {
					t.Fatalf("got %q, %v; want error %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil || string(got) != c.want || out.String() != c.wantOut {
				t.Fatalf("got %q, %v, output %q; want %q, output %q", got, err, out.String(), c.want, c.wantOut)
			}
		})
	}
}
