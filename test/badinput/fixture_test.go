package badinput

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

const (
	note = "com.example.note"
	file = "com.example.file"
	post = "app.bsky.feed.post"
)

// fill gives alice posts, notes, an app password and a record holding an
// uploaded blob, and bob one note.
func fill(t testing.TB, c *client, alice, bob account) {
	t.Helper()
	for i := range 3 {
		rec := map[string]any{"$type": post, "text": "post " + string(rune('a'+i)), "createdAt": "2026-01-02T03:04:05.000Z"}
		c.call(t, "com.atproto.repo.createRecord", alice.AccessJwt, map[string]any{"repo": alice.DID, "collection": post, "record": rec, "validate": true}, nil)
	}
	for _, rkey := range []string{"n1", "n2", "n3"} {
		putNote(t, c, alice, rkey, "note "+rkey)
	}
	putNote(t, c, bob, "b1", "bob's note")
	blob := c.must(t, request{Path: "/xrpc/com.atproto.repo.uploadBlob", CType: "image/png", Body: randomBytes(2048), Header: bearer(alice.AccessJwt)})
	var up struct{ Blob map[string]any }
	if err := json.Unmarshal(blob, &up); err != nil || up.Blob == nil {
		t.Fatalf("uploadBlob: %s (%v)", blob, err)
	}
	c.call(t, "com.atproto.repo.putRecord", alice.AccessJwt, map[string]any{"repo": alice.DID, "collection": file, "rkey": "f1",
		"record": map[string]any{"$type": file, "file": up.Blob}}, nil)
	c.call(t, "com.atproto.server.createAppPassword", alice.AccessJwt, map[string]any{"name": "main"}, nil)
}

func putNote(t testing.TB, c *client, a account, rkey, text string) {
	t.Helper()
	c.call(t, "com.atproto.repo.putRecord", a.AccessJwt, map[string]any{"repo": a.DID, "collection": note, "rkey": rkey,
		"record": map[string]any{"$type": note, "text": text}}, nil)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// world is what the bad requests are built from, read after the restart.
type world struct {
	alice, bob account
	podDID     string
	head       string // alice's commit
	n1         string // CID of alice's note n1
	n2         string // CID of alice's note n2
	blob       map[string]any
	aliceCAR   []byte
	bobCAR     []byte
}

func observe(t testing.TB, c *client, alice, bob account) *world {
	t.Helper()
	w := &world{alice: alice, bob: bob}
	var desc struct{ DID string }
	json.Unmarshal(c.query(t, "com.atproto.server.describeServer", nil), &desc)
	w.podDID = desc.DID
	var head struct{ CID string }
	json.Unmarshal(c.query(t, "com.atproto.sync.getLatestCommit", url.Values{"did": {alice.DID}}), &head)
	w.head = head.CID
	w.n1, w.n2 = recordCID(t, c, alice.DID, note, "n1"), recordCID(t, c, alice.DID, note, "n2")
	var f struct{ Value struct{ File map[string]any } }
	json.Unmarshal(c.query(t, "com.atproto.repo.getRecord", url.Values{"repo": {alice.DID}, "collection": {file}, "rkey": {"f1"}}), &f)
	w.blob = f.Value.File
	w.aliceCAR = c.query(t, "com.atproto.sync.getRepo", url.Values{"did": {alice.DID}})
	w.bobCAR = c.query(t, "com.atproto.sync.getRepo", url.Values{"did": {bob.DID}})
	if w.podDID == "" || w.head == "" || w.blob == nil {
		t.Fatalf("could not observe the fixture: %+v", w)
	}
	return w
}

func recordCID(t testing.TB, c *client, did, coll, rkey string) string {
	t.Helper()
	var r struct{ CID string }
	json.Unmarshal(c.query(t, "com.atproto.repo.getRecord", url.Values{"repo": {did}, "collection": {coll}, "rkey": {rkey}}), &r)
	return r.CID
}

// readCAR loads a repository CAR (verifying it) into memory.
func readCAR(t testing.TB, b []byte) (*repo.Repo, *mem.Blocks, []cid.CID) {
	t.Helper()
	bs := mem.NewBlocks()
	r, _, err := repo.ReadCAR(context.Background(), bytes.NewReader(b), bs, repo.ImportOptions{})
	if err != nil {
		t.Fatalf("read fixture CAR: %v", err)
	}
	var recs []cid.CID
	r.Tree().Walk(context.Background(), "", func(_ string, v cid.CID) error {
		recs = append(recs, v)
		return nil
	})
	return r, bs, recs
}

// rewriteCAR writes the blocks of a CAR again under root, leaving out skip.
func rewriteCAR(t testing.TB, b []byte, root cid.CID, skip cid.CID) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := car.NewWriter(&out, root)
	if err != nil {
		t.Fatal(err)
	}
	_, err = car.ReadAll(bytes.NewReader(b), func(c cid.CID, data []byte) error {
		if c == skip {
			return nil
		}
		return w.Put(c, data)
	})
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatalf("rewrite CAR: %v", err)
	}
	return out.Bytes()
}

// withoutRecord is alice's CAR missing one record block.
func (w *world) withoutRecord(t testing.TB) []byte {
	r, _, recs := readCAR(t, w.aliceCAR)
	_, head := r.Head()
	return rewriteCAR(t, w.aliceCAR, head, recs[len(recs)-1])
}

// rootNotCommit is alice's CAR naming the MST root as its root.
func (w *world) rootNotCommit(t testing.TB) []byte {
	r, _, _ := readCAR(t, w.aliceCAR)
	commit, _ := r.Head()
	return rewriteCAR(t, w.aliceCAR, commit.Data, cid.CID{})
}

// tampered is alice's CAR with one byte of its last block changed, so the
// block no longer matches its CID.
func (w *world) tampered() []byte {
	b := bytes.Clone(w.aliceCAR)
	b[len(b)-3] ^= 0x01
	return b
}

// forgedCAR is a well-formed repository for did holding one note, signed
// by a key that is not the account's.
func forgedCAR(t testing.TB, did string) ([]byte, keys.PublicKey) {
	t.Helper()
	ctx := context.Background()
	d, err := syntax.ParseDID(did)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := keys.Generate(keys.K256)
	if err != nil {
		t.Fatal(err)
	}
	bs, clock := mem.NewBlocks(), syntax.NewTIDClock(syntax.RandomClockID())
	r, res, err := repo.New(ctx, bs, d, signer, clock)
	if err != nil {
		t.Fatal(err)
	}
	bs.PutBlocks(ctx, res.Blocks)
	rec, err := data.MarshalCBOR(map[string]any{"$type": note, "text": "forged"})
	if err != nil {
		t.Fatal(err)
	}
	res, err = r.Apply(ctx, []repo.Write{{Action: repo.Create, Collection: note, RKey: "forged", Record: rec}}, signer, clock)
	if err != nil {
		t.Fatal(err)
	}
	bs.PutBlocks(ctx, res.Blocks)
	var out bytes.Buffer
	if err := repo.WriteCAR(ctx, &out, bs, res.CID); err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), signer.PublicKey()
}

// jwt signs claims with HS256 under key (alg "none" when key is nil).
func jwt(header, claims map[string]any, key []byte) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	msg := enc(header) + "." + enc(claims)
	if key == nil {
		return msg + "."
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return msg + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// accessClaims are the claims of an access token for did on the pod.
func (w *world) accessClaims(did string, exp time.Time) map[string]any {
	return map[string]any{"scope": "com.atproto.access", "sub": did, "aud": w.podDID,
		"iat": exp.Add(-2 * time.Hour).Unix(), "exp": exp.Unix()}
}

// resigned swaps the payload of a real token for other claims, keeping
// the header and signature.
func resigned(token string, claims map[string]any) string {
	parts := bytes.Split([]byte(token), []byte("."))
	b, _ := json.Marshal(claims)
	return string(parts[0]) + "." + base64.RawURLEncoding.EncodeToString(b) + "." + string(parts[2])
}
