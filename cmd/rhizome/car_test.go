package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

// writeRepoCAR makes a small signed repository and writes its CAR to dir.
func writeRepoCAR(t *testing.T, dir string) (path string, key keys.Signer) {
	ctx := context.Background()
	key, err := keys.Generate(keys.P256)
	if err != nil {
		t.Fatal(err)
	}
	bs, clock := mem.NewBlocks(), syntax.NewTIDClock(1)
	r, res, err := repo.New(ctx, bs, "did:plc:clitestclitestclitestcli", key, clock)
	if err != nil {
		t.Fatal(err)
	}
	bs.PutBlocks(ctx, res.Blocks)
	rec, _ := data.MarshalCBOR(map[string]any{"$type": "app.bsky.feed.post", "text": "hi"})
	res, err = r.Apply(ctx, []repo.Write{{Action: repo.Create, Collection: "app.bsky.feed.post", RKey: "a", Record: rec}}, key, clock)
	if err != nil {
		t.Fatal(err)
	}
	bs.PutBlocks(ctx, res.Blocks)
	var buf bytes.Buffer
	if err := repo.WriteCAR(ctx, &buf, bs, res.CID); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "repo.car")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, key
}

func TestRun_CARVerify(t *testing.T) {
	dir := t.TempDir()
	path, key := writeRepoCAR(t, dir)
	raw, _ := os.ReadFile(path)
	bad := bytes.Clone(raw)
	bad[len(bad)-3] ^= 1
	badPath := filepath.Join(dir, "bad.car")
	os.WriteFile(badPath, bad, 0o600)
	other, _ := keys.Generate(keys.P256)
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"ok", []string{"car", "verify", "--key", key.PublicKey().DIDKey(), path}, 0},
		{"ok json", []string{"car", "verify", "--json", path}, 0},
		{"wrong key", []string{"car", "verify", "--key", other.PublicKey().DIDKey(), path}, 3},
		{"tampered", []string{"car", "verify", badPath}, 3},
		{"no file", []string{"car", "verify", filepath.Join(dir, "none.car")}, 1},
		{"usage", []string{"car", "verify"}, 2},
		{"bad did flag", []string{"car", "verify", "--did", "nope", path}, 3},
		{"unknown command", []string{"frobnicate"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(context.Background(), c.args); got != c.code {
				t.Fatalf("exit %d, want %d", got, c.code)
			}
		})
	}
}
