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

// world is one test's directory, binary and working folder.
type world struct {
	t   *testing.T
	bin string
	dir *podtest.Directory
	tmp string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return &world{t: t, bin: podtest.Binary(t), dir: podtest.NewDirectory(t), tmp: t.TempDir()}
}

// pod starts a pod on dataDir that uses the world's directory; it is
// killed when the test ends.
func (w *world) pod(dataDir string) *podtest.Pod {
	w.t.Helper()
	addr := podtest.FreeAddr(w.t)
	p := podtest.StartArgs(w.t, w.bin, addr, podtest.ServeArgsPLC(dataDir, addr, w.dir.URL))
	w.t.Cleanup(func() {
		if w.t.Failed() {
			w.t.Logf("--- log of the pod at %s ---\n%s", addr, p.Logs)
		}
		p.Kill()
	})
	return p
}

// file writes a file in the world's folder and returns its path.
func (w *world) file(name, content string) string {
	w.t.Helper()
	p := filepath.Join(w.tmp, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// cli runs `rhizome identity ARGS --plc DIR` and returns the result.
func (w *world) cli(args ...string) podtest.Result {
	w.t.Helper()
	full := append([]string{"identity"}, args...)
	full = append(full, "--plc", w.dir.URL)
	r, err := podtest.Run(context.Background(), w.bin, nil, full...)
	if err != nil {
		w.t.Fatalf("rhizome %s: %v", strings.Join(full, " "), err)
	}
	return r
}

// mustCLI runs a command that has to succeed and decodes its --json output.
func (w *world) mustCLI(out any, args ...string) {
	w.t.Helper()
	r := w.cli(append(args, "--json")...)
	if r.Code != 0 {
		w.t.Fatalf("rhizome identity %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(r.Stdout), out); err != nil {
			w.t.Fatalf("rhizome identity %s: decode %q: %v", args[0], r.Stdout, err)
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
	w.t.Helper()
	ks := filepath.Join(w.tmp, "keystore-"+name)
	var c created
	w.mustCLI(&c, "create", "--pod", p.URL(""), "--handle", name+".test", "--email", name+"@example.test",
		"--password-file", w.file(name+".password", "password-"+name+"\n"),
		"--keystore", ks, "--passphrase-file", w.file(name+".passphrase", "a long passphrase of "+name+"\n"))
	if c.DID == "" || len(c.Phrase) != 24 || c.Warning != "" {
		w.t.Fatalf("create %s: %+v", name, c)
	}
	if _, err := os.Stat(c.KeyFile); err != nil || !strings.HasPrefix(c.KeyFile, ks) {
		w.t.Fatalf("create %s: key file %q not in the keystore %s: %v", name, c.KeyFile, ks, err)
	}
	return c, w.file(name+".phrase", strings.Join(c.Phrase, " ")+"\n")
}

// session logs in to p.
func session(t *testing.T, c *podtest.Client, id, password string) string {
	t.Helper()
	var out struct{ AccessJwt string }
	c.MustCall(t, "com.atproto.server.createSession", "", map[string]string{"identifier": id, "password": password}, &out)
	if out.AccessJwt == "" {
		t.Fatalf("createSession %s: no token", id)
	}
	return out.AccessJwt
}

func must(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }

func lastPart(uri string) string { return uri[strings.LastIndexByte(uri, '/')+1:] }
