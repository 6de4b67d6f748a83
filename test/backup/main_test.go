package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/backup"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/keys/recovery"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

func TestMain(m *testing.M) {
	backup.WorkFactor = 10 // scrypt stays cheap in-process; the CLI tests use recipients
	podtest.Main(m)
}

var ctx = context.Background()

// world is the test's PLC directory, binary and folder (podtest.World).
type world struct{ *podtest.World }

func newWorld(t *testing.T) *world { return &world{podtest.NewWorld(t)} }

// run runs the binary with --plc set; it must exit 0, and its --json
// output is decoded into out.
func (w *world) run(out any, args ...string) {
	w.T.Helper()
	r := w.try(args...)
	if r.Code != 0 {
		w.T.Fatalf("rhizome %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(r.Stdout), out); err != nil {
			w.T.Fatalf("rhizome %s: decode %q: %v", strings.Join(args, " "), r.Stdout, err)
		}
	}
}

func (w *world) try(args ...string) podtest.Result {
	w.T.Helper()
	full := append(args, "--plc", w.Dir.URL, "--json")
	r, err := podtest.Run(ctx, w.Bin, nil, full...)
	if err != nil {
		w.T.Fatalf("rhizome %s: %v", strings.Join(full, " "), err)
	}
	return r
}

// account is one made with `rhizome identity create`.
type account struct {
	DID, Handle, RotationKey string
	Phrase                   []string
	password, phraseFile     string
	token                    string
}

func (w *world) create(p *podtest.Pod, name string) *account {
	w.T.Helper()
	id := w.CreateIdentity(p.URL(""), name)
	a := &account{DID: id.DID, Handle: id.Handle, RotationKey: id.RotationKey, Phrase: id.Phrase, password: id.Password, phraseFile: id.PhraseFile}
	a.token = podtest.Session(w.T, podtest.NewClient(p), a.Handle, a.password)
	return a
}

// signer is the account's rotation key, from its recovery phrase.
func (a *account) signer(t *testing.T) keys.Signer {
	t.Helper()
	p, err := recovery.Parse(strings.Join(a.Phrase, " "))
	must(t, err, "parse the phrase")
	s, err := p.RotationKey()
	must(t, err, "derive the rotation key")
	return s
}

func (w *world) tool() *custody.Tool { return &custody.Tool{Dir: w.Dir.Client()} }

// uploadBlob uploads n random bytes and returns the blob ref and bytes.
func uploadBlob(t *testing.T, c *podtest.Client, tok string, n int) (map[string]any, []byte) {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	r, err := c.Do(ctx, http.MethodPost, "com.atproto.repo.uploadBlob", nil, tok, "image/png", b)
	if err != nil || !r.OK() {
		t.Fatalf("uploadBlob: %v %s", err, r)
	}
	var out struct{ Blob map[string]any }
	must(t, json.Unmarshal(r.Body, &out), "decode uploadBlob")
	return out.Blob, b
}

// post is a post record of realistic size.
func post(i int, text string) map[string]any {
	return map[string]any{"$type": "app.bsky.feed.post", "createdAt": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"langs": []string{"en"}, "text": fmt.Sprintf("%s — post %d, written to see whether a backup keeps every record it should and nothing else", text, i)}
}

func withImage(rec map[string]any, blob map[string]any) map[string]any {
	rec["embed"] = map[string]any{"$type": "app.bsky.embed.images", "images": []any{map[string]any{"image": blob, "alt": "a picture"}}}
	return rec
}

// repoRecords downloads p's repository of did, verifies it, and returns
// every record path with its CID.
func repoRecords(t *testing.T, p *podtest.Pod, did string) map[string]cid.CID {
	t.Helper()
	car := podtest.NewClient(p).MustQuery(t, "com.atproto.sync.getRepo", url.Values{"did": {did}}, nil)
	r, _, err := repo.ReadCAR(ctx, bytes.NewReader(car), mem.NewBlocks(), repo.ImportOptions{DID: syntax.DID(did)})
	must(t, err, "read %s's repository", did)
	out := map[string]cid.CID{}
	must(t, r.Tree().Walk(ctx, "", func(k string, v cid.CID) error { out[k] = v; return nil }), "walk the tree")
	return out
}

// repoStatus is getRepoStatus's answer or its error name.
func repoStatus(t *testing.T, p *podtest.Pod, did string) string {
	t.Helper()
	r, err := podtest.NewClient(p).Query(ctx, "com.atproto.sync.getRepoStatus", url.Values{"did": {did}})
	must(t, err, "getRepoStatus")
	if !r.OK() {
		return r.ErrName()
	}
	return string(r.Body)
}

func must(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

// dirSize is the total size of the files under dir.
func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	must(t, filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return err
	}), "walk %s", dir)
	return n
}

func didOf(a *account) syntax.DID { return syntax.DID(a.DID) }
