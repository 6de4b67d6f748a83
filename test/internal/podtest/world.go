package podtest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// World is one test's PLC directory, rhizome binary and working folder:
// the set-up of the suites that run several pods and the CLI beside them.
type World struct {
	T   *testing.T
	Bin string
	Dir *Directory
	Tmp string
}

// NewWorld starts a PLC directory for the test.
func NewWorld(t *testing.T) *World {
	t.Helper()
	return &World{T: t, Bin: Binary(t), Dir: NewDirectory(t), Tmp: t.TempDir()}
}

// Pod starts a pod on dataDir ("" for a fresh one) that uses the world's
// directory; it is killed when the test ends, its log shown if it failed.
func (w *World) Pod(dataDir string, extra ...string) *Pod {
	w.T.Helper()
	if dataDir == "" {
		dataDir = w.T.TempDir()
	}
	addr := FreeAddr(w.T)
	p := StartArgs(w.T, w.Bin, addr, append(ServeArgsPLC(dataDir, addr, w.Dir.URL), extra...))
	w.T.Cleanup(func() {
		if w.T.Failed() {
			w.T.Logf("--- log of the pod at %s ---\n%s", addr, p.Logs)
		}
		p.Kill()
	})
	return p
}

// File writes a file in the world's folder and returns its path.
func (w *World) File(name, content string) string {
	w.T.Helper()
	p := filepath.Join(w.Tmp, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		w.T.Fatal(err)
	}
	return p
}

// Identity is an account made with `rhizome identity create`: its DID
// has the user's own rotation key, derived from the recovery phrase.
type Identity struct {
	DID, Handle, RotationKey string
	Phrase                   []string
	Password                 string
	PassFile, PhraseFile     string
}

// CreateIdentity runs `rhizome identity create` on the pod at podURL (any
// PDS) for NAME.test, with files for its password and phrase.
func (w *World) CreateIdentity(podURL, name string) Identity {
	w.T.Helper()
	id := Identity{Password: "password-" + name}
	id.PassFile = w.File(name+".password", id.Password+"\n")
	args := []string{"identity", "create", "--pod", podURL, "--handle", name + ".test", "--email", name + "@example.test",
		"--password-file", id.PassFile, "--keystore", filepath.Join(w.Tmp, "keystore-"+name),
		"--passphrase-file", w.File(name+".passphrase", "a long passphrase of "+name+"\n"), "--plc", w.Dir.URL, "--json"}
	r, err := Run(context.Background(), w.Bin, nil, args...)
	if err != nil || r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &id) != nil || len(id.Phrase) != 24 || id.DID == "" {
		w.T.Fatalf("rhizome identity create: %v exit %d\n%s\n%s", err, r.Code, r.Stdout, r.Stderr)
	}
	id.PhraseFile = w.File(name+".phrase", strings.Join(id.Phrase, " ")+"\n")
	return id
}

// Session signs in to a pod and returns the access token.
func Session(t testing.TB, c *Client, id, password string) string {
	t.Helper()
	var out struct{ AccessJwt string }
	c.MustCall(t, "com.atproto.server.createSession", "", map[string]string{"identifier": id, "password": password}, &out)
	if out.AccessJwt == "" {
		t.Fatalf("createSession %s: no token", id)
	}
	return out.AccessJwt
}
