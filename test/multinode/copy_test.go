package multinode

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/blobstore/s3/s3test"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// progressLine is one JSON line of rhizome store copy --json.
type progressLine struct {
	Phase         string
	Accounts      int
	Records       int64
	Blobs         int64
	Events        int64
	PLCOps        int64 `json:"plc_ops"`
	Sessions      int64
	Skipped       int64
	VerifiedRepos int   `json:"verified_repos"`
	VerifiedBlobs int64 `json:"verified_blobs"`
	Done          bool
}

// srcAccount is what the source pod served for an account.
type srcAccount struct {
	account
	refresh string
	head    string
	car     []byte
	records map[string]string
	blobs   map[string][]byte
}

func TestStoreCopy_SQLiteToPostgresS3(t *testing.T) {
	bin := podtest.Binary(t)
	srcDir, addr := t.TempDir(), podtest.FreeAddr(t)
	src := podtest.Start(t, bin, srcDir, addr)
	accts := fillSource(t, podtest.NewClient(src), 3, 150)
	src.Stop()
	s3srv := s3test.Start(t)
	db, bucket := freshDB(t), s3srv.NewBucket(t)
	args := []string{"store", "copy", "--json", "--data", srcDir,
		"--from", "sqlite://" + filepath.Join(srcDir, "rhizome.db"), "--to", db,
		"--blobs-from", "file://" + filepath.Join(srcDir, "blobs"), "--blobs-to", bucket}
	t.Run("copies and verifies everything", func(t *testing.T) {
		last := runCopy(t, bin, args)
		if last.VerifiedRepos != 3 || last.Records != 3*(150+2) || last.VerifiedBlobs != 6 || last.Blobs != 6 ||
			last.Events == 0 || last.PLCOps < 3 || last.Sessions < 3 {
			t.Fatalf("copy reported %+v", last)
		}
	})
	t.Run("a second run is a no-op", func(t *testing.T) {
		last := runCopy(t, bin, args)
		if last.Records != 0 || last.Blobs != 0 || last.Events != 0 || last.PLCOps != 0 || last.Sessions != 0 ||
			last.VerifiedRepos != 3 || last.VerifiedBlobs != 6 || last.Skipped == 0 {
			t.Fatalf("second run reported %+v", last)
		}
	})
	t.Run("an interrupted copy resumes", func(t *testing.T) {
		args := append([]string(nil), args...)
		args[len(args)-5], args[len(args)-1] = freshDB(t), s3srv.NewBucket(t)
		interruptedCopy(t, bin, args)
		last := runCopy(t, bin, args)
		if last.VerifiedRepos != 3 || last.VerifiedBlobs != 6 || last.Skipped == 0 {
			t.Fatalf("resumed copy reported %+v", last)
		}
	})
	t.Run("a pod on the target serves the same repositories", func(t *testing.T) {
		dir := t.TempDir()
		copySecrets(t, srcDir, dir)
		p := podtest.StartArgs(t, bin, addr, []string{"serve", "--data", dir, "--listen", addr, "--plc-url", "embedded",
			"--rate-limits", "off", "--db", db, "--blobs", bucket})
		defer stopNode(t, 1, p)
		sameAsSource(t, podtest.NewClient(p), accts)
	})
}

// fillSource creates accounts on the source pod, each with records and
// two blobs (one of 2 MB), each blob referenced by a record, and reads
// back what the pod serves.
func fillSource(t *testing.T, c *podtest.Client, n, records int) []srcAccount {
	t.Helper()
	var out []srcAccount
	for i := range n {
		in := map[string]string{"handle": fmt.Sprintf("mover%d.test", i), "email": fmt.Sprintf("m%d@example.test", i), "password": "password-mover"}
		var s struct{ DID, AccessJwt, RefreshJwt string }
		c.MustCall(t, "com.atproto.server.createAccount", "", in, &s)
		a := srcAccount{account: account{did: s.DID, access: s.AccessJwt}, refresh: s.RefreshJwt, blobs: map[string][]byte{}}
		for r := range records {
			if _, name, err := createRecord(context.Background(), c, a.account, 1, fmt.Sprintf("r%04d", r)); err != nil || name != "" {
				t.Fatalf("createRecord: %v %s", err, name)
			}
		}
		for _, size := range []int{1000, 2 << 20} {
			data := bytes.Repeat([]byte(fmt.Sprintf("%s %d;", s.DID, size)), size/8)[:size]
			blob := uploadBlob(t, c, a.account, data)
			link, _ := blob["ref"].(map[string]any)["$link"].(string)
			a.blobs[link] = data
			c.MustCall(t, "com.atproto.repo.createRecord", a.access, map[string]any{"repo": a.did, "collection": "com.example.photo",
				"record": map[string]any{"$type": "com.example.photo", "image": blob}}, nil)
		}
		out = append(out, a.read(t, c))
	}
	return out
}

// read records what a pod serves for the account.
func (a srcAccount) read(t *testing.T, c *podtest.Client) srcAccount {
	t.Helper()
	a.head, _ = latestCommit(t, c, a.did)
	a.car = getRepo(t, c, a.did)
	a.records = map[string]string{}
	for _, coll := range []string{"com.example.note", "com.example.photo"} {
		c.ListCollection(t, a.did, coll, a.records)
	}
	return a
}

// runCopy runs rhizome store copy to success and returns its last JSON
// line, which must say done.
func runCopy(t *testing.T, bin string, args []string) progressLine {
	t.Helper()
	start := time.Now()
	res, err := podtest.Run(context.Background(), bin, nil, args...)
	if err != nil || res.Code != 0 {
		t.Fatalf("rhizome %s: exit %d %v\n%s\n%s", strings.Join(args[:2], " "), res.Code, err, res.Stdout, res.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	var last progressLine
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || !last.Done || last.Phase != "done" {
		t.Fatalf("last progress line %q (%v), want one saying done", lines[len(lines)-1], err)
	}
	t.Logf("store copy took %v, %d progress lines; last: %+v", time.Since(start).Round(time.Millisecond), len(lines), last)
	return last
}

// interruptedCopy starts a copy and SIGKILLs it as soon as it reports
// the first account done.
func interruptedCopy(t *testing.T, bin string, args []string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = podtest.Env()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		var l progressLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Phase == "accounts" && l.Accounts >= 1 && !killed {
			cmd.Process.Kill()
			killed = true
		}
		if l.Done {
			t.Fatal("the copy finished before it could be interrupted")
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatal("the copy never reported an account done")
	}
}

// sameAsSource checks that a pod on the target serves what the source
// did: heads, repository CARs byte for byte, records, blobs, and the
// sessions (access and refresh tokens) the source gave out.
func sameAsSource(t *testing.T, c *podtest.Client, accts []srcAccount) {
	t.Helper()
	for _, want := range accts {
		got := want.read(t, c)
		if got.head != want.head || !sameCAR(t, got.car, want.car) {
			t.Fatalf("%s: head %s and a %d-byte CAR on the target, %s and %d bytes on the source",
				want.did, got.head, len(got.car), want.head, len(want.car))
		}
		if len(got.records) != len(want.records) {
			t.Fatalf("%s: %d records on the target, %d on the source", want.did, len(got.records), len(want.records))
		}
		for k, v := range want.records {
			if got.records[k] != v {
				t.Fatalf("%s: record %s is %q on the target, %s on the source", want.did, k, got.records[k], v)
			}
		}
		for link, data := range want.blobs {
			if b := getBlob(t, c, want.did, link); !bytes.Equal(b, data) {
				t.Fatalf("%s: blob %s has %d bytes on the target, want %d", want.did, link, len(b), len(data))
			}
		}
		checkSessions(t, c, want)
	}
}

// checkSessions uses the source's tokens on the target: the access token
// authorizes a write, the refresh token a refresh.
func checkSessions(t *testing.T, c *podtest.Client, a srcAccount) {
	t.Helper()
	if _, name, err := createRecord(context.Background(), c, a.account, 1, "after-move"); err != nil || name != "" {
		t.Fatalf("%s: a write with the source's access token: %v %s", a.did, err, name)
	}
	r, err := c.Do(context.Background(), "POST", "com.atproto.server.refreshSession", url.Values{}, a.refresh, "", nil)
	if err != nil || !r.OK() {
		t.Fatalf("%s: refreshSession with the source's refresh token: %v %s", a.did, err, r)
	}
}

// sameCAR reports whether two CARs hold the same roots and blocks; the
// order of blocks is the store's and not part of the protocol.
func sameCAR(t *testing.T, a, b []byte) bool {
	t.Helper()
	read := func(p []byte) (string, map[cid.CID]string) {
		blocks := map[cid.CID]string{}
		roots, err := car.ReadAll(bytes.NewReader(p), func(c cid.CID, d []byte) error { blocks[c] = string(d); return nil })
		if err != nil {
			t.Fatalf("read CAR: %v", err)
		}
		return fmt.Sprint(roots), blocks
	}
	ra, ba := read(a)
	rb, bb := read(b)
	return ra == rb && maps.Equal(ba, bb)
}
