package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// readWithOfficialClient runs test/identity's drill.mjs against the
// restored pod: @atproto/api resolves the handle there, the DID through
// the directory to that pod, and reads every record and blob.
func readWithOfficialClient(t *testing.T, w *world, acct *account, b *podtest.Pod, records map[string]cid.CID, blobs map[string][]byte) {
	t.Helper()
	dir := podtest.NodeModules(t)
	want := map[string]any{"entry": b.URL(""), "plc": w.Dir.URL, "handle": acct.Handle, "did": acct.DID,
		"records": map[string]string{}, "blobs": map[string]string{}}
	for k, c := range records {
		want["records"].(map[string]string)["at://"+acct.DID+"/"+k] = c.String()
	}
	for c, data := range blobs {
		sum := sha256.Sum256(data)
		want["blobs"].(map[string]string)[c] = hex.EncodeToString(sum[:])
	}
	raw, err := json.Marshal(want)
	must(t, err, "encode the expectations")
	script, err := filepath.Abs(filepath.Join("..", "identity", "drill.mjs"))
	must(t, err, "find drill.mjs")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, w.File("expect.json", string(raw)))
	cmd.Env = append(podtest.Env(), "INTEROP_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the official client could not read the restored account: %v\n%s", err, out)
	}
	t.Logf("official client: %s", strings.TrimSpace(string(out)))
}
