package podtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var npmOnce struct {
	sync.Once
	err error
	out []byte
}

// NodeModules makes sure test/interop's npm packages (the official
// TypeScript client) are installed, as test/interop/run does: npm ci when
// node_modules is missing or older than package-lock.json. It returns
// test/interop's path, for scripts that import from its node_modules, and
// fails the test when Node.js (>= 20) or npm is missing. Call it from a
// package directly under test/.
func NodeModules(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "interop"))
	if err != nil {
		t.Fatalf("find test/interop: %v", err)
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required for the official-client checks (Node.js >= 20 with npm): %v", tool, err)
		}
	}
	checkNodeVersion(t)
	npmOnce.Do(func() { npmOnce.out, npmOnce.err = npmCI(dir) })
	if npmOnce.err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, npmOnce.err, npmOnce.out)
	}
	return dir
}

func npmCI(dir string) ([]byte, error) {
	stamp, lock := filepath.Join(dir, "node_modules", ".package-lock.json"), filepath.Join(dir, "package-lock.json")
	si, err1 := os.Stat(stamp)
	li, err2 := os.Stat(lock)
	if err1 == nil && err2 == nil && !li.ModTime().After(si.ModTime()) {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

func checkNodeVersion(t testing.TB) {
	t.Helper()
	out, err := exec.Command("node", "-p", "process.versions.node").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	major, err := strconv.Atoi(strings.SplitN(strings.TrimSpace(string(out)), ".", 2)[0])
	if err != nil || major < 20 {
		t.Fatalf("Node.js >= 20 is required, found %q", out)
	}
}
