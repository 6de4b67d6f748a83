package replica

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// interopDir is test/interop, whose node_modules hold the official client.
func interopDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("..", "interop"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var npmOnce struct {
	sync.Once
	err error
	out []byte
}

// nodeModules makes sure test/interop's npm packages are installed (npm
// ci when node_modules is missing or older than package-lock.json).
func nodeModules(t *testing.T) string {
	t.Helper()
	dir := interopDir(t)
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required for the official-client check (Node.js >= 20 with npm): %v", tool, err)
		}
	}
	out, err := exec.Command("node", "-p", "process.versions.node").Output()
	if major, _ := strconv.Atoi(strings.SplitN(strings.TrimSpace(string(out)), ".", 2)[0]); err != nil || major < 20 {
		t.Fatalf("Node.js >= 20 is required, found %q (%v)", out, err)
	}
	npmOnce.Do(func() {
		stamp, lock := filepath.Join(dir, "node_modules", ".package-lock.json"), filepath.Join(dir, "package-lock.json")
		si, err1 := os.Stat(stamp)
		li, err2 := os.Stat(lock)
		if err1 == nil && err2 == nil && !li.ModTime().After(si.ModTime()) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		npmOnce.out, npmOnce.err = cmd.CombinedOutput()
	})
	if npmOnce.err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, npmOnce.err, npmOnce.out)
	}
	return dir
}

// readAndWrite runs promoted.mjs against the promoted pod.
func readAndWrite(t *testing.T, w *world, a account, records map[string]string, blobs map[string][]byte) {
	t.Helper()
	dir := nodeModules(t)
	uris := map[string]string{}
	for p, c := range records {
		uris["at://"+a.DID+"/"+p] = c
	}
	sums := map[string]string{}
	for c, b := range blobs {
		s := sha256.Sum256(b)
		sums[c] = hex.EncodeToString(s[:])
	}
	d, err := w.Dir.Client().Data(context.Background(), didOf(a))
	if err != nil {
		t.Fatal(err)
	}
	pds, _ := d.PDS()
	in, _ := json.Marshal(map[string]any{"plc": w.Dir.URL, "pds": pds, "did": a.DID, "password": a.password, "records": uris, "blobs": sums})
	expect := w.File("expect.json", string(in))
	script, _ := filepath.Abs("promoted.mjs")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, expect)
	cmd.Env = append(os.Environ(), "INTEROP_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promoted.mjs: %v\n%s", err, out)
	}
	t.Logf("official client: %s", strings.TrimSpace(string(out)))
}
