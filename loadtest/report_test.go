package loadtest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	cpu := 1.5
	return &Report{URL: "http://127.0.0.1:2583", Concurrency: 8, OpsPerPhase: 2000, Warmup: 50, Machine: Machine{CPUs: 2},
		Phases: []Phase{
			{Name: "createRecord", Ops: 2000, Seconds: 4, OpsPerSec: 500, P50: 1500 * time.Microsecond,
				P90: 3 * time.Millisecond, P99: 12345 * time.Microsecond, Max: 40 * time.Millisecond, ServerCPUSeconds: 2.5},
			{Name: "getRecord", Ops: 2000, Errors: 1, Seconds: 0.5, OpsPerSec: 3998, P50: 250 * time.Microsecond,
				P90: 500 * time.Microsecond, P99: time.Millisecond, Max: 2 * time.Millisecond, ServerCPUSeconds: -1,
				FirstError: `com.atproto.repo.getRecord: HTTP 404 {"error":"RecordNotFound"}`},
		},
		BulkApplyWrites: &BulkWrite{Records: 10000, BatchSize: 200, Seconds: 2, RecordsPerSec: 5000, ServerCPUSeconds: &cpu},
		GetRepo:         &GetRepo{Records: 10000, CARBytes: 2048, RunsMS: []float64{50, 40, 45}, MedianMS: 45, MinMS: 40, VerifiedRecords: 10000, ClientVerifyMS: 30},
		Server:          &ServerInfo{PID: 42, RSSMB: 80.5, PeakRSSMB: 120.25, CPUSeconds: 9.5},
	}
}

func TestReport_WriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `http://127.0.0.1:2583  concurrency 8, 2000 ops per phase, warmup 50, 2 CPUs

phase                ops  errors  seconds     ops/s   p50 ms   p90 ms   p99 ms   max ms  server CPU s
createRecord        2000       0     4.00     500.0     1.50     3.00    12.35    40.00          2.50
getRecord           2000       1     0.50    3998.0     0.25     0.50     1.00     2.00             -

big repo: 10000 records in applyWrites batches of 200: 2.00s, 5000.0 records/s, server CPU 1.50s
getRepo: 2048-byte CAR, median 45.0ms, min 40.0ms over 3 runs; verified 10000 records in 30ms
server pid 42: RSS 80.5 MB, peak RSS 120.2 MB, CPU 9.50s in all
getRecord first error: com.atproto.repo.getRecord: HTTP 404 {"error":"RecordNotFound"}
`
	if got := b.String(); got != want {
		t.Errorf("WriteTable:\n%s\nwant:\n%s", got, want)
	}
}

func TestReport_WriteTable_bare(t *testing.T) {
	rep := &Report{URL: "http://x", Concurrency: 1, SingleRepo: true, Phases: []Phase{{Name: "listRecords(100)", Ops: 1, ServerCPUSeconds: -1}}}
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "concurrency 1 (one repo)") || !strings.HasPrefix(lines[3], "listRecords(100)") {
		t.Errorf("WriteTable without extras:\n%s", b.String())
	}
}

func TestPhase_MarshalJSON(t *testing.T) {
	rep := sampleReport()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Bench  string           `json:"bench"`
		Phases []map[string]any `json:"phases"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	t.Run("reference keys in milliseconds", func(t *testing.T) {
		p := raw.Phases[0]
		want := map[string]any{"name": "createRecord", "ops": 2000.0, "ok": 2000.0, "errors": 0.0, "ops_per_s": 500.0,
			"p50_ms": 1.5, "p90_ms": 3.0, "p99_ms": 12.35, "max_ms": 40.0, "server_cpu_s": 2.5}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("%s = %v, want %v", k, p[k], v)
			}
		}
	})
	t.Run("unmeasured CPU is left out", func(t *testing.T) {
		if _, ok := raw.Phases[1]["server_cpu_s"]; ok {
			t.Errorf("server_cpu_s present without a PID: %v", raw.Phases[1])
		}
		if raw.Phases[1]["ok"] != 1999.0 || raw.Phases[1]["first_error"] == nil {
			t.Errorf("phase with an error: %v", raw.Phases[1])
		}
	})
	t.Run("round trip", func(t *testing.T) {
		var back Report
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		p, q := rep.Phases[0], back.Phases[0]
		if q.P99 != 12350*time.Microsecond || q.P50 != p.P50 || q.ServerCPUSeconds != 2.5 || back.Phases[1].ServerCPUSeconds != -1 {
			t.Errorf("round trip: %+v / %+v", q, back.Phases[1])
		}
	})
}
