package replica

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

func TestMain(m *testing.M) { podtest.Main(m) }

const adminPassword = "admin-password-of-the-test"

// world is the test's PLC directory, binary and folder (podtest.World).
type world struct{ *podtest.World }

func newWorld(t *testing.T) *world { return &world{podtest.NewWorld(t)} }

// node is a pod that can be killed and started again on its data folder.
type node struct {
	*podtest.Pod
	data, addr string
	w          *world
}

func (w *world) pod() *node {
	w.T.Helper()
	n := &node{data: w.T.TempDir(), addr: podtest.FreeAddr(w.T), w: w}
	n.start()
	return n
}

func (n *node) start() {
	t := n.w.T
	t.Helper()
	args := append(podtest.ServeArgsPLC(n.data, n.addr, n.w.Dir.URL), "--admin-password", adminPassword)
	p := podtest.StartArgs(t, n.w.Bin, n.addr, args)
	n.Pod = p
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- log of the pod at %s ---\n%s", n.addr, p.Logs)
		}
		p.Kill()
	})
}

// run runs the rhizome binary.
func (w *world) run(args ...string) podtest.Result {
	w.T.Helper()
	r, err := podtest.Run(context.Background(), w.Bin, nil, args...)
	if err != nil {
		w.T.Fatalf("rhizome %v: %v", args, err)
	}
	return r
}

// replicate runs rhizome replicate against the pod n.
func (w *world) replicate(n *node, args ...string) podtest.Result {
	w.T.Helper()
	full := append([]string{"replicate", args[0], "--url", n.URL(""), "--admin-password", adminPassword}, args[1:]...)
	return w.run(full...)
}

// account is an account made with `rhizome identity create`.
type account struct {
	DID, Handle string
	phraseFile  string // the recovery phrase: the user's rotation key
	passFile    string
	password    string
	token       string // an access token on the primary
}

func (w *world) create(p *node, name string) account {
	w.T.Helper()
	id := w.CreateIdentity(p.URL(""), name)
	a := account{DID: id.DID, Handle: id.Handle, passFile: id.PassFile, password: id.Password, phraseFile: id.PhraseFile}
	a.token = podtest.Session(w.T, podtest.NewClient(p.Pod), a.DID, a.password)
	return a
}

// ledger is what the primary acknowledged: the records that must exist
// (collection/rkey → CID) and the blobs (CID → bytes).
type ledger struct {
	mu      sync.Mutex
	records map[string]string
	blobs   map[string][]byte
	lastRev string
	n       int
}

func newLedger() *ledger {
	return &ledger{records: map[string]string{}, blobs: map[string][]byte{}}
}

func (l *ledger) snapshot() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]string, len(l.records))
	for k, v := range l.records {
		out[k] = v
	}
	return out
}

// writer writes to the primary and records each acknowledged write.
type writer struct {
	t   testing.TB
	c   *podtest.Client
	a   account
	l   *ledger
	seq int
}

func post(text string) map[string]any {
	return map[string]any{"$type": "app.bsky.feed.post", "text": text, "createdAt": time.Now().UTC().Format("2006-01-02T15:04:05.000Z")}
}

type commitOut struct {
	URI, CID string
	Commit   struct{ CID, Rev string }
}

func (wr *writer) ack(path, c, rev string) {
	wr.l.mu.Lock()
	defer wr.l.mu.Unlock()
	if c == "" {
		delete(wr.l.records, path)
	} else {
		wr.l.records[path] = c
	}
	if rev > wr.l.lastRev {
		wr.l.lastRev = rev
	}
	wr.l.n++
}

// create writes a new post and returns its path.
func (wr *writer) create() (string, commitOut) {
	wr.seq++
	var out commitOut
	wr.c.MustCall(wr.t, "com.atproto.repo.createRecord", wr.a.token,
		map[string]any{"repo": wr.a.DID, "collection": "app.bsky.feed.post", "record": post(fmt.Sprintf("post %d", wr.seq))}, &out)
	p := podtest.URIPath(out.URI)
	wr.ack(p, out.CID, out.Commit.Rev)
	return p, out
}

func (wr *writer) update(path string) {
	coll, rkey, _ := strings.Cut(path, "/")
	var out commitOut
	wr.c.MustCall(wr.t, "com.atproto.repo.putRecord", wr.a.token,
		map[string]any{"repo": wr.a.DID, "collection": coll, "rkey": rkey, "record": post("edited " + path)}, &out)
	wr.ack(path, out.CID, out.Commit.Rev)
}

func (wr *writer) delete(path string) {
	coll, rkey, _ := strings.Cut(path, "/")
	var out struct{ Commit struct{ CID, Rev string } }
	wr.c.MustCall(wr.t, "com.atproto.repo.deleteRecord", wr.a.token, map[string]any{"repo": wr.a.DID, "collection": coll, "rkey": rkey}, &out)
	wr.ack(path, "", out.Commit.Rev)
}

// batch creates n posts and updates and deletes the given paths in one
// applyWrites.
func (wr *writer) batch(n int, update, del []string) {
	var writes []any
	for i := 0; i < n; i++ {
		wr.seq++
		writes = append(writes, map[string]any{"$type": "com.atproto.repo.applyWrites#create", "collection": "app.bsky.feed.post", "value": post(fmt.Sprintf("batched %d", wr.seq))})
	}
	for _, p := range update {
		coll, rkey, _ := strings.Cut(p, "/")
		writes = append(writes, map[string]any{"$type": "com.atproto.repo.applyWrites#update", "collection": coll, "rkey": rkey, "value": post("batch-edited " + p)})
	}
	for _, p := range del {
		coll, rkey, _ := strings.Cut(p, "/")
		writes = append(writes, map[string]any{"$type": "com.atproto.repo.applyWrites#delete", "collection": coll, "rkey": rkey})
	}
	var out struct {
		Commit  struct{ CID, Rev string }
		Results []struct{ URI, CID string }
	}
	wr.c.MustCall(wr.t, "com.atproto.repo.applyWrites", wr.a.token, map[string]any{"repo": wr.a.DID, "writes": writes}, &out)
	for i, r := range out.Results {
		switch {
		case i < n+len(update):
			wr.ack(podtest.URIPath(r.URI), r.CID, out.Commit.Rev)
		default:
			wr.ack(del[i-n-len(update)], "", out.Commit.Rev)
		}
	}
}

// blobPost uploads random bytes and posts an image of them.
func (wr *writer) blobPost() {
	b := make([]byte, 3000+wr.seq%1000)
	rand.Read(b)
	copy(b, "\x89PNG\r\n\x1a\n")
	r, err := wr.c.Do(context.Background(), http.MethodPost, "com.atproto.repo.uploadBlob", nil, wr.a.token, "image/png", b)
	if err != nil || !r.OK() {
		wr.t.Fatalf("uploadBlob: %v %s", err, r)
	}
	var up struct{ Blob map[string]any }
	if err := json.Unmarshal(r.Body, &up); err != nil {
		wr.t.Fatal(err)
	}
	rec := post("a picture")
	rec["embed"] = map[string]any{"$type": "app.bsky.embed.images", "images": []any{map[string]any{"image": up.Blob, "alt": "noise"}}}
	var out commitOut
	wr.c.MustCall(wr.t, "com.atproto.repo.createRecord", wr.a.token, map[string]any{"repo": wr.a.DID, "collection": "app.bsky.feed.post", "record": rec}, &out)
	wr.ack(podtest.URIPath(out.URI), out.CID, out.Commit.Rev)
	wr.l.mu.Lock()
	wr.l.blobs[up.Blob["ref"].(map[string]any)["$link"].(string)] = b
	wr.l.mu.Unlock()
}

// head is a repository's latest commit; ok false if the pod answers no.
func head(c *podtest.Client, did string) (cid, rev string, ok bool) {
	r, err := c.Query(context.Background(), "com.atproto.sync.getLatestCommit", url.Values{"did": {did}})
	if err != nil || !r.OK() {
		return "", "", false
	}
	var h struct{ CID, Rev string }
	json.Unmarshal(r.Body, &h)
	return h.CID, h.Rev, true
}

// waitRev waits until the replica's head rev is at least rev.
func waitRev(t *testing.T, c *podtest.Client, did, rev string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, got, _ := head(c, did)
		if got >= rev {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica's head is %q after %v; want rev %s", got, within, rev)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// listAll reads every record of a repository: collection/rkey → CID.
func listAll(t *testing.T, c *podtest.Client, did string) map[string]string {
	t.Helper()
	var desc struct{ Collections []string }
	c.MustQuery(t, "com.atproto.repo.describeRepo", url.Values{"repo": {did}}, &desc)
	out := map[string]string{}
	for _, coll := range desc.Collections {
		c.ListCollection(t, did, coll, out)
	}
	return out
}

type adminRequest struct{ req *http.Request }

func newAdminRequest(u string, body []byte) (adminRequest, error) {
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return adminRequest{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", adminPassword)
	return adminRequest{req}, nil
}

func (a adminRequest) do() (adminReply, error) {
	resp, err := http.DefaultClient.Do(a.req)
	if err != nil {
		return adminReply{}, err
	}
	defer resp.Body.Close()
	var e struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&e)
	return adminReply{status: resp.StatusCode, name: e.Error}, nil
}
