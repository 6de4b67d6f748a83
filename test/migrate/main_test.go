package migrate

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

func TestMain(m *testing.M) { podtest.Main(m) }

// world is the test's PLC directory, binary and folder (podtest.World).
type world struct{ *podtest.World }

func newWorld(t *testing.T) *world { return &world{podtest.NewWorld(t)} }

// account is an account made with `rhizome identity create`.
type account struct {
	DID, Handle string
	phraseFile  string // the recovery phrase: the user's rotation key
	passFile    string // holds password
	password    string
	token       string // an access token on the old pod
}

// create makes an account on p whose DID lists the user's key first.
func (w *world) create(p *podtest.Pod, name string) account {
	w.T.Helper()
	return w.createOn(p.URL(""), podtest.NewClient(p), name)
}

// createOn makes an account on the pod at podURL (any PDS).
func (w *world) createOn(podURL string, c *podtest.Client, name string) account {
	w.T.Helper()
	id := w.CreateIdentity(podURL, name)
	a := account{DID: id.DID, Handle: id.Handle, passFile: id.PassFile, password: id.Password, phraseFile: id.PhraseFile}
	a.token = podtest.Session(w.T, c, a.DID, a.password)
	return a
}

// content is what an account holds.
type content struct {
	Records map[string]string // collection/rkey -> CID
	Blobs   map[string][]byte // CID -> bytes
	Prefs   json.RawMessage
}

// fill writes n records with applyWrites, 200 per call, the first
// nblobs of them posts with an image each (a blob of its own), and sets
// preferences.
func fill(t *testing.T, c *podtest.Client, a account, n, nblobs int) content {
	t.Helper()
	want := content{Records: map[string]string{}, Blobs: map[string][]byte{}}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	for start := 0; start < n; start += 200 {
		var writes []any
		for i := start; i < min(start+200, n); i++ {
			rec := map[string]any{"$type": "app.bsky.feed.post", "text": fmt.Sprintf("post %d of a moving account", i), "createdAt": now}
			if i < nblobs {
				rec["embed"] = map[string]any{"$type": "app.bsky.embed.images",
					"images": []any{map[string]any{"image": uploadBlob(t, c, a, want.Blobs), "alt": fmt.Sprintf("picture %d", i)}}}
			}
			writes = append(writes, map[string]any{"$type": "com.atproto.repo.applyWrites#create", "collection": "app.bsky.feed.post", "value": rec})
		}
		var out struct{ Results []struct{ URI, CID string } }
		c.MustCall(t, "com.atproto.repo.applyWrites", a.token, map[string]any{"repo": a.DID, "writes": writes}, &out)
		for _, r := range out.Results {
			want.Records[podtest.URIPath(r.URI)] = r.CID
		}
	}
	if len(want.Records) != n {
		t.Fatalf("wrote %d records; want %d", len(want.Records), n)
	}
	want.Prefs = json.RawMessage(`[{"$type":"app.bsky.actor.defs#adultContentPref","enabled":false},{"$type":"app.bsky.actor.defs#savedFeedsPrefV2","items":[]}]`)
	c.MustCall(t, "app.bsky.actor.putPreferences", a.token, map[string]any{"preferences": want.Prefs}, nil)
	return want
}

// uploadBlob uploads random bytes (1 to 8 KB) and returns the blob ref.
func uploadBlob(t *testing.T, c *podtest.Client, a account, into map[string][]byte) map[string]any {
	t.Helper()
	b := make([]byte, 1024+len(into)*37%7168)
	rand.Read(b)
	copy(b, "\x89PNG\r\n\x1a\n") // a PNG signature, for pods that sniff types
	r, err := c.Do(context.Background(), http.MethodPost, "com.atproto.repo.uploadBlob", nil, a.token, "image/png", b)
	if err != nil || !r.OK() {
		t.Fatalf("uploadBlob: %v %s", err, r)
	}
	var out struct{ Blob map[string]any }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	into[out.Blob["ref"].(map[string]any)["$link"].(string)] = b
	return out.Blob
}

// repoStatus is sync.getRepoStatus's answer, or ok false if the pod has
// no such repository.
func repoStatus(t *testing.T, c *podtest.Client, did string) (st struct {
	Active bool
	Status string
}, ok bool) {
	t.Helper()
	r, err := c.Query(context.Background(), "com.atproto.sync.getRepoStatus", url.Values{"did": {did}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		return st, false
	}
	if err := json.Unmarshal(r.Body, &st); err != nil {
		t.Fatal(err)
	}
	return st, true
}
