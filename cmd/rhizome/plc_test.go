package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/store/sqlite"
	"github.com/rhizome-pds/rhizome/syntax"
)

// plcUpstream is a PLC directory on loopback holding one account.
func plcUpstream(t *testing.T) (*httptest.Server, syntax.DID) {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "up.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dir := plc.NewDirectory(st, nil)
	key, err := keys.Generate(keys.P256)
	if err != nil {
		t.Fatal(err)
	}
	g, err := plc.Genesis([]string{key.PublicKey().DIDKey()}, key.PublicKey().DIDKey(), "alice.test", "https://pds.test")
	if err != nil || g.Sign(key) != nil {
		t.Fatalf("genesis: %v", err)
	}
	did, _ := g.DID()
	if err := dir.Submit(context.Background(), did, g); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dir.Handler())
	t.Cleanup(srv.Close)
	return srv, did
}

func plcFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestRunPLCServe_Mirror(t *testing.T) {
	up, did := plcUpstream(t)
	data, addr := t.TempDir(), plcFreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runPLCServe(ctx, []string{"--data", data, "--listen", addr, "--mirror", up.URL, "--mirror-interval", "20ms"})
	}()
	base := "http://" + addr
	client := &plc.Client{BaseURL: base}
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, err := client.VerifiedData(ctx, did)
		if err == nil && got.AlsoKnownAs[0] == "at://alice.test" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mirror never served %s: %v", did, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	last, _ := client.LastOp(ctx, did)
	if err := client.Submit(ctx, did, last); err == nil || !strings.Contains(err.Error(), "read-only mirror") {
		t.Fatalf("submit to the mirror: %v", err)
	}
	var st plc.MirrorStatus
	resp, err := http.Get(base + "/_mirror/status")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Upstream != up.URL || st.Counts.Accepted != 1 || st.Mode != plc.CursorSeq {
		t.Fatalf("status %+v", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}

	t.Run("the data folder stays a mirror", func(t *testing.T) {
		err := runPLCServe(context.Background(), []string{"--data", data, "--listen", addr})
		if !rhizome.Is(err, rhizome.Conflict) || !strings.Contains(err.Error(), "--mirror") {
			t.Fatalf("serve a mirror's folder as a directory: %v", err)
		}
		err = runPLCServe(context.Background(), []string{"--data", data, "--listen", addr, "--mirror", "http://127.0.0.1:1"})
		if !rhizome.Is(err, rhizome.Conflict) {
			t.Fatalf("mirror another upstream into the folder: %v", err)
		}
	})
}

func TestParsePLCFlags(t *testing.T) {
	t.Setenv("RHIZOME_PLC_MIRROR", "http://127.0.0.1:9")
	t.Setenv("RHIZOME_PLC_MIRROR_INTERVAL", "3s")
	f, err := parsePLCFlags(nil)
	if err != nil || f.mirror != "http://127.0.0.1:9" || f.interval != 3*time.Second {
		t.Fatalf("from the environment: %+v, %v", f, err)
	}
	for _, args := range [][]string{{"--mirror-interval", "0s"}, {"--mirror-interval", "soon"}, {"extra"}} {
		if _, err := parsePLCFlags(args); exitCode(err) != 2 {
			t.Errorf("%v: err %v, want a usage error", args, err)
		}
	}
	err = runPLCServe(context.Background(), []string{"--data", t.TempDir(), "--mirror", "ftp://plc.test"})
	if !rhizome.Is(err, rhizome.Invalid) {
		t.Errorf("ftp upstream: %v", err)
	}
}
