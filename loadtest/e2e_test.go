package loadtest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
)

// startPod builds rhizome from this module and serves a fresh pod on a free
// loopback port; the pod is stopped when the test ends.
func startPod(t *testing.T) (url string, pid int) {
	t.Helper()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "rhizome")
	build := exec.Command("go", "build", "-o", bin, "./cmd/rhizome")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build rhizome: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", "--data", filepath.Join(tmp, "data"), "--listen", addr,
		"--plc-url", "embedded", "--rate-limits", "off")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopPod(t, cmd, &logs) })
	url = "http://" + addr
	waitHealthy(t, url, &logs)
	return url, cmd.Process.Pid
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, url string, logs *bytes.Buffer) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url + "/_health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("pod at %s not healthy after 10s; log:\n%s", url, logs)
}

func stopPod(t *testing.T, cmd *exec.Cmd, logs *bytes.Buffer) {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Errorf("pod did not stop on interrupt; log:\n%s", logs)
	}
	if t.Failed() {
		t.Logf("pod log:\n%s", logs)
	}
}

func TestRun_againstRhizome(t *testing.T) {
	url, pid := startPod(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := Defaults()
	cfg.URL, cfg.Concurrency, cfg.Ops, cfg.Warmup, cfg.RepoRecords, cfg.GetRepoRuns, cfg.PID = url, 2, 20, 5, 200, 2, pid
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("every phase ran without errors", func(t *testing.T) {
		want := []struct {
			name string
			ops  int
		}{{"createRecord", 20}, {"getRecord", 20}, {"listRecords(100)", 20}, {"applyWrites(10)", 20}, {"getRepo", 2}}
		if len(rep.Phases) != len(want) {
			t.Fatalf("%d phases, want %d: %+v", len(rep.Phases), len(want), rep.Phases)
		}
		for i, w := range want {
			p := rep.Phases[i]
			if p.Name != w.name || p.Ops != w.ops || p.Errors != 0 || p.OpsPerSec <= 0 || p.P50 <= 0 || p.P99 < p.P50 || p.ServerCPUSeconds < 0 {
				t.Errorf("phase %d = %+v, want %s with %d calls, no errors, positive figures", i, p, w.name, w.ops)
			}
		}
	})
	t.Run("server figures", func(t *testing.T) {
		if s := rep.Server; s == nil || s.PID != pid || s.PeakRSSMB <= 0 || s.CPUSeconds <= 0 {
			t.Errorf("server = %+v, want memory and CPU of pid %d", s, pid)
		}
		if b := rep.BulkApplyWrites; b == nil || b.Records != 200 || b.RecordsPerSec <= 0 {
			t.Errorf("bulk writes = %+v", b)
		}
	})
	t.Run("getRepo CAR holds every record", func(t *testing.T) {
		if rep.GetRepo == nil || rep.GetRepo.VerifiedRecords != 200 || rep.GetRepo.CARBytes != len(rep.car) {
			t.Fatalf("getRepo = %+v, want 200 verified records", rep.GetRepo)
		}
		r, st, err := repo.ReadCAR(ctx, bytes.NewReader(rep.car), mem.NewBlocks(), repo.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != 200 || r.DID() == "" {
			t.Errorf("CAR of %s has %d records, want 200", r.DID(), st.Records)
		}
	})
}
