package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

func TestMain(m *testing.M) { podtest.Main(m) }

// world is the test's PLC directory, binary and folder (podtest.World).
type world struct{ *podtest.World }

func newWorld(t *testing.T) *world { return &world{podtest.NewWorld(t)} }

// cli runs `rhizome identity ARGS --plc DIR` and returns the result.
func (w *world) cli(args ...string) podtest.Result {
	w.T.Helper()
	full := append([]string{"identity"}, args...)
	full = append(full, "--plc", w.Dir.URL)
	r, err := podtest.Run(context.Background(), w.Bin, nil, full...)
	if err != nil {
		w.T.Fatalf("rhizome %s: %v", strings.Join(full, " "), err)
	}
	return r
}

// mustCLI runs a command that has to succeed and decodes its --json output.
func (w *world) mustCLI(out any, args ...string) {
	w.T.Helper()
	r := w.cli(append(args, "--json")...)
	if r.Code != 0 {
		w.T.Fatalf("rhizome identity %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(r.Stdout), out); err != nil {
			w.T.Fatalf("rhizome identity %s: decode %q: %v", args[0], r.Stdout, err)
		}
	}
}

// created is `rhizome identity create --json`'s output.
type created struct {
	DID, Handle, Pod, RotationKey, KeyFile string
	Phrase                                 []string
	Warning                                string
}

// create makes an account with `rhizome identity create` on p and returns
// it with the path of a file holding its recovery phrase.
func (w *world) create(p *podtest.Pod, name string) (created, string) {
	w.T.Helper()
	ks := filepath.Join(w.Tmp, "keystore-"+name)
	var c created
	w.mustCLI(&c, "create", "--pod", p.URL(""), "--handle", name+".test", "--email", name+"@example.test",
		"--password-file", w.File(name+".password", "password-"+name+"\n"),
		"--keystore", ks, "--passphrase-file", w.File(name+".passphrase", "a long passphrase of "+name+"\n"))
	if c.DID == "" || len(c.Phrase) != 24 || c.Warning != "" {
		w.T.Fatalf("create %s: %+v", name, c)
	}
	if _, err := os.Stat(c.KeyFile); err != nil || !strings.HasPrefix(c.KeyFile, ks) {
		w.T.Fatalf("create %s: key file %q not in the keystore %s: %v", name, c.KeyFile, ks, err)
	}
	return c, w.File(name+".phrase", strings.Join(c.Phrase, " ")+"\n")
}

func must(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }

func lastPart(uri string) string { return uri[strings.LastIndexByte(uri, '/')+1:] }
