package migrate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// line is one JSON line of `rhizome migrate --json`.
type line struct {
	Phase      string `json:"phase"`
	StepsDone  int    `json:"steps_done"`
	Records    int    `json:"records"`
	BlobsTotal int    `json:"blobs_total"`
	Blobs      int    `json:"blobs"`
	Done       bool   `json:"done"`
	Error      string `json:"error"`
	Result     *struct {
		DID         string `json:"did"`
		DryRun      bool   `json:"dryRun"`
		Records     int    `json:"records"`
		Blobs       int    `json:"blobs"`
		BlobsCopied int    `json:"blobsCopied"`
		PLCOp       string `json:"plcOp"`
		Steps       []struct{ Name, Status, Detail string }
	} `json:"result"`
}

// migration is one run of the command.
type migration struct {
	lines  []line
	stderr string
	code   int
	killed bool // ended by SIGKILL
}

// last is the final JSON line.
func (m migration) last() line {
	if len(m.lines) == 0 {
		return line{}
	}
	return m.lines[len(m.lines)-1]
}

// status returns the status a step ended with, "" if it did not end.
func (m migration) status(step string) string {
	if r := m.last().Result; r != nil {
		for _, s := range r.Steps {
			if s.Name == step {
				return s.Status
			}
		}
	}
	return ""
}

// migrateArgs are the arguments of a migration of a from a to b.
func (w *world) migrateArgs(a account, from, to *podtest.Pod, extra ...string) []string {
	args := []string{"migrate", "--from", from.URL(""), "--to", to.URL(""), "--account", a.Handle,
		"--password-file", a.passFile, "--phrase-file", a.phraseFile, "--plc", w.Dir.URL,
		"--state-dir", w.Tmp + "/migrate-state", "--json"}
	return append(args, extra...)
}

// runMigrate runs `rhizome migrate args`; if killAt is not nil it is
// asked after every JSON line whether to SIGKILL the process now (or
// after the delay it returns).
func (w *world) runMigrate(args []string, killAt func(line) (bool, time.Duration)) migration {
	w.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.Bin, args...)
	cmd.Env = podtest.Env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		w.T.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		w.T.Fatal(err)
	}
	var m migration
	armed := false
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			w.T.Fatalf("migrate wrote a line that is not JSON: %q", sc.Text())
		}
		m.lines = append(m.lines, l)
		if killAt != nil && !armed {
			if kill, after := killAt(l); kill {
				armed = true
				time.AfterFunc(after, func() { cmd.Process.Signal(syscall.SIGKILL) })
			}
		}
	}
	err = cmd.Wait()
	m.stderr, m.code = stderr.String(), cmd.ProcessState.ExitCode()
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && st.Signaled() && st.Signal() == syscall.SIGKILL {
		m.killed = true
	} else if _, ok := err.(*exec.ExitError); err != nil && !ok {
		w.T.Fatalf("migrate: %v", err)
	}
	return m
}

// mustMigrate runs a migration that has to succeed.
func (w *world) mustMigrate(args []string) migration {
	w.T.Helper()
	m := w.runMigrate(args, nil)
	if l := m.last(); m.code != 0 || !l.Done || l.Error != "" || l.Result == nil {
		w.T.Fatalf("migrate: exit %d, last line %+v\nstderr: %s", m.code, l, m.stderr)
	}
	return m
}

// refused runs a migration that has to fail and returns its stderr.
func (w *world) refused(args []string, want string) migration {
	w.T.Helper()
	m := w.runMigrate(args, nil)
	if m.code == 0 || m.killed {
		w.T.Fatalf("migrate %s succeeded; want a failure saying %q", strings.Join(args, " "), want)
	}
	if !strings.Contains(m.stderr, want) || !strings.Contains(m.last().Error, want) {
		w.T.Fatalf("migrate failed without saying %q:\nstderr: %s\nlast line error: %s", want, m.stderr, m.last().Error)
	}
	w.T.Logf("refused (exit %d): %s", m.code, strings.TrimSpace(m.stderr))
	return m
}
