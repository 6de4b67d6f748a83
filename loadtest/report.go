package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"
)

// Report is everything a Run measured. Its JSON form uses the key names of
// the Node reference load generator where the two share a figure.
type Report struct {
	Bench           string      `json:"bench"` // always "atproto-pds"
	URL             string      `json:"pds_url"`
	ServerVersion   string      `json:"server_version,omitempty"`
	StartedAt       time.Time   `json:"started_at"`
	FinishedAt      time.Time   `json:"finished_at"`
	Machine         Machine     `json:"machine"`
	Client          string      `json:"client"`
	Concurrency     int         `json:"concurrency"`
	SingleRepo      bool        `json:"single_repo"`
	OpsPerPhase     int         `json:"ops_per_phase"`
	Warmup          int         `json:"warmup"`
	Phases          []Phase     `json:"phases"`
	BulkApplyWrites *BulkWrite  `json:"bulkApplyWrites,omitempty"`
	GetRepo         *GetRepo    `json:"getRepo,omitempty"`
	Fanout          *Fanout     `json:"fanout,omitempty"` // the fanout phase
	Drain           *Drain      `json:"drain,omitempty"`  // the drain phase
	Server          *ServerInfo `json:"server,omitempty"` // with a PID: the server at the end

	car []byte // the last getRepo CAR, for tests
}

// Machine is the machine the load generator ran on.
type Machine struct {
	CPUs         int       `json:"cpus"`
	LoadAvgStart []float64 `json:"loadavg_start,omitempty"`
	LoadAvgEnd   []float64 `json:"loadavg_end,omitempty"`
}

func (rep *Report) finish(pid int) {
	rep.Server = readServer(pid)
	rep.Machine.LoadAvgEnd = loadAvg()
	rep.FinishedAt = time.Now().UTC()
}

// phaseJSON is a Phase with latencies in milliseconds, as the reference
// load generator writes them.
type phaseJSON struct {
	Name       string   `json:"name"`
	Ops        int      `json:"ops"`
	OK         int      `json:"ok"`
	Errors     int      `json:"errors"`
	Seconds    float64  `json:"seconds"`
	OpsPerSec  float64  `json:"ops_per_s"`
	P50        float64  `json:"p50_ms"`
	P90        float64  `json:"p90_ms"`
	P99        float64  `json:"p99_ms"`
	Max        float64  `json:"max_ms"`
	ServerCPU  *float64 `json:"server_cpu_s,omitempty"`
	FirstError string   `json:"first_error,omitempty"`
}

// MarshalJSON writes latencies as milliseconds (p50_ms ...) rounded to
// hundredths, and server_cpu_s only when it was measured.
func (p Phase) MarshalJSON() ([]byte, error) {
	j := phaseJSON{Name: p.Name, Ops: p.Ops, OK: p.OK(), Errors: p.Errors, Seconds: round(p.Seconds, 3),
		OpsPerSec: round(p.OpsPerSec, 1), P50: roundMS(p.P50), P90: roundMS(p.P90), P99: roundMS(p.P99),
		Max: roundMS(p.Max), FirstError: p.FirstError}
	if p.ServerCPUSeconds >= 0 {
		cpu := round(p.ServerCPUSeconds, 2)
		j.ServerCPU = &cpu
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Phase) UnmarshalJSON(b []byte) error {
	var j phaseJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Phase{Name: j.Name, Ops: j.Ops, Errors: j.Errors, FirstError: j.FirstError, Seconds: j.Seconds,
		OpsPerSec: j.OpsPerSec, P50: fromMS(j.P50), P90: fromMS(j.P90), P99: fromMS(j.P99), Max: fromMS(j.Max),
		ServerCPUSeconds: -1}
	if j.ServerCPU != nil {
		p.ServerCPUSeconds = *j.ServerCPU
	}
	return nil
}

func round(v float64, places int) float64 {
	f := math.Pow(10, float64(places))
	return math.Round(v*f) / f
}

func roundMS(d time.Duration) float64 { return round(msFloat(d), 2) }

func fromMS(v float64) time.Duration { return time.Duration(math.Round(v * 1e6)) }

// WriteTable writes the report for people: one row per phase, then the big
// repository and the server's memory. It returns the first write error.
func (rep *Report) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("%s  concurrency %d%s, %d ops per phase, warmup %d, %d CPUs\n\n",
		rep.URL, rep.Concurrency, map[bool]string{true: " (one repo)"}[rep.SingleRepo], rep.OpsPerPhase, rep.Warmup, rep.Machine.CPUs)
	ew.printf("%-16s  %6s  %6s  %7s  %8s  %7s  %7s  %7s  %7s  %12s\n",
		"phase", "ops", "errors", "seconds", "ops/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "server CPU s")
	for _, p := range rep.Phases {
		ew.printf("%-16s  %6d  %6d  %7.2f  %8.1f  %7.2f  %7.2f  %7.2f  %7.2f  %12s\n", p.Name, p.Ops, p.Errors, p.Seconds,
			p.OpsPerSec, msFloat(p.P50), msFloat(p.P90), msFloat(p.P99), msFloat(p.Max), cpuCell(p.ServerCPUSeconds))
	}
	rep.writeExtras(ew)
	return ew.err
}

// errWriter remembers the first write error and skips writes after it.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func cpuCell(v float64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

// writeExtras writes the big-repository, firehose and server lines under
// the table.
func (rep *Report) writeExtras(w *errWriter) {
	if b := rep.BulkApplyWrites; b != nil {
		w.printf("\nbig repo: %d records in applyWrites batches of %d: %.2fs, %.1f records/s",
			b.Records, b.BatchSize, b.Seconds, b.RecordsPerSec)
		if b.ServerCPUSeconds != nil {
			w.printf(", server CPU %.2fs", *b.ServerCPUSeconds)
		}
		w.printf("\n")
	}
	if g := rep.GetRepo; g != nil {
		w.printf("getRepo: %d-byte CAR, median %.1fms, min %.1fms over %d runs", g.CARBytes, g.MedianMS, g.MinMS, len(g.RunsMS))
		if g.VerifiedRecords > 0 {
			w.printf("; verified %d records in %.0fms", g.VerifiedRecords, g.ClientVerifyMS)
		}
		w.printf("\n")
	}
	rep.writeFirehose(w)
	if s := rep.Server; s != nil {
		w.printf("server pid %d: RSS %.1f MB, peak RSS %.1f MB, CPU %.2fs in all\n", s.PID, s.RSSMB, s.PeakRSSMB, s.CPUSeconds)
	}
	for _, p := range rep.Phases {
		if p.FirstError != "" {
			w.printf("%s first error: %s\n", p.Name, p.FirstError)
		}
	}
}
