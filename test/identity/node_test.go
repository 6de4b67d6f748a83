package identity

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// interopDir is test/interop, whose node_modules hold the official client.
func interopDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("..", "interop"))
	must(t, err, "find test/interop")
	return d
}

var npmOnce struct {
	sync.Once
	err error
	out []byte
}

// nodeModules makes sure test/interop's npm packages are installed, as
// test/interop/run does: npm ci when node_modules is missing or older than
// package-lock.json. It fails the test when Node or npm is missing.
func nodeModules(t *testing.T) string {
	t.Helper()
	dir := interopDir(t)
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required for the drill's official-client check (Node.js >= 20 with npm): %v", tool, err)
		}
	}
	checkNodeVersion(t)
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

func checkNodeVersion(t *testing.T) {
	t.Helper()
	out, err := exec.Command("node", "-p", "process.versions.node").Output()
	must(t, err, "node --version")
	major, err := strconv.Atoi(strings.SplitN(strings.TrimSpace(string(out)), ".", 2)[0])
	if err != nil || major < 20 {
		t.Fatalf("Node.js >= 20 is required, found %q", out)
	}
}

// readWithOfficialClient runs drill.mjs: @atproto/api resolves the handle
// through pod B, @atproto/identity resolves the DID through the directory
// to pod B, and every record and blob is read there and compared.
func readWithOfficialClient(t *testing.T, w *world, acct created, b *podtest.Pod, want content) {
	t.Helper()
	dir := nodeModules(t)
	in := map[string]any{"entry": b.URL(""), "plc": w.dir.URL, "handle": acct.Handle, "did": acct.DID,
		"records": want.Records, "blobs": want.Blobs}
	raw, err := json.Marshal(in)
	must(t, err, "encode the drill's expectations")
	path := w.file("expect.json", string(raw))
	script, err := filepath.Abs("drill.mjs")
	must(t, err, "find drill.mjs")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, path)
	cmd.Env = append(podtest.Env(), "INTEROP_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the official client could not read the restored account: %v\n%s", err, out)
	}
	t.Logf("official client: %s", strings.TrimSpace(string(out)))
}

func didOf(t *testing.T, s string) syntax.DID {
	t.Helper()
	d, err := syntax.ParseDID(s)
	must(t, err, "parse DID")
	return d
}
