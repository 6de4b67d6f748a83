package identity

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// readWithOfficialClient runs drill.mjs: @atproto/api resolves the handle
// through pod B, @atproto/identity resolves the DID through the directory
// to pod B, and every record and blob is read there and compared.
func readWithOfficialClient(t *testing.T, w *world, acct created, b *podtest.Pod, want content) {
	t.Helper()
	dir := podtest.NodeModules(t)
	in := map[string]any{"entry": b.URL(""), "plc": w.Dir.URL, "handle": acct.Handle, "did": acct.DID,
		"records": want.Records, "blobs": want.Blobs}
	raw, err := json.Marshal(in)
	must(t, err, "encode the drill's expectations")
	path := w.File("expect.json", string(raw))
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
