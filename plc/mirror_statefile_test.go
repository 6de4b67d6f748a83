package plc

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rhizome-pds/rhizome"
)

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

func TestMirrorStateFile_SaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mirror.json")
	f := NewMirrorStateFile(path)
	if st, err := f.Load(); st != nil || err != nil {
		t.Fatalf("load before any save: %+v, %v", st, err)
	}
	st := &MirrorState{Upstream: "http://127.0.0.1:1", Mode: CursorSeq, Seq: 5, Counts: MirrorCounts{Rejected: 2},
		Rejections: []Rejection{{Serial: 1, CID: "a", Reason: "x"}, {Serial: 2, CID: "b", Reason: "y"}}}
	if err := f.Save(st); err != nil {
		t.Fatal(err)
	}
	st.Counts.Rejected, st.Rejections = 3, append(st.Rejections, Rejection{Serial: 3, CID: "c", Reason: "z"})
	st.Seq = 9
	if err := f.Save(st); err != nil {
		t.Fatal(err)
	}
	reports := path + ".rejected"
	if n := countLines(t, reports); n != 3 {
		t.Fatalf("reports file has %d lines, want 3 (appended, not rewritten)", n)
	}
	if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(`"reason"`)) {
		t.Fatalf("the cursor file holds the reports: %s", b)
	}
	got, err := NewMirrorStateFile(path).Load()
	if err != nil || got.Seq != 9 || len(got.Rejections) != 3 || got.Rejections[2].CID != "c" {
		t.Fatalf("loaded %+v, %v", got, err)
	}

	t.Run("a report without its cursor is dropped", func(t *testing.T) {
		file, _ := os.OpenFile(reports, os.O_APPEND|os.O_WRONLY, 0)
		file.WriteString(`{"serial":4,"cid":"d","reason":"crash"}` + "\n")
		file.Close()
		f := NewMirrorStateFile(path)
		got, err := f.Load()
		if err != nil || len(got.Rejections) != 3 {
			t.Fatalf("loaded %+v, %v", got, err)
		}
		got.Counts.Rejected++
		got.Rejections = append(got.Rejections, Rejection{Serial: 4, CID: "d", Reason: "again"})
		if err := f.Save(got); err != nil {
			t.Fatal(err)
		}
		again, err := NewMirrorStateFile(path).Load()
		if err != nil || len(again.Rejections) != 4 || again.Rejections[3].Reason != "again" {
			t.Fatalf("after the report is made again: %+v, %v", again, err)
		}
	})

	t.Run("rewritten when it grows", func(t *testing.T) {
		f := NewMirrorStateFile(path)
		got, err := f.Load()
		if err != nil {
			t.Fatal(err)
		}
		f.lines = 2*MaxMirrorRejections + 1
		if err := f.Save(got); err != nil {
			t.Fatal(err)
		}
		if n := countLines(t, reports); n != len(got.Rejections) {
			t.Fatalf("%d lines after the rewrite, want %d", n, len(got.Rejections))
		}
	})

	t.Run("damaged", func(t *testing.T) {
		os.WriteFile(reports, []byte("{\n"), 0o600)
		if _, err := NewMirrorStateFile(path).Load(); !rhizome.Is(err, rhizome.Corrupt) {
			t.Fatalf("damaged reports file: %v", err)
		}
		os.WriteFile(path, []byte("{"), 0o600)
		if _, err := NewMirrorStateFile(path).Load(); !rhizome.Is(err, rhizome.Corrupt) {
			t.Fatalf("damaged cursor file: %v", err)
		}
	})
}

// TestMirror_KeepsRecentReports shows the reports are bounded: past
// MaxMirrorRejections and a quarter, the oldest go, and the index follows.
func TestMirror_KeepsRecentReports(t *testing.T) {
	m := &Mirror{idx: indexRejections(nil)}
	const did = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
	over := MaxMirrorRejections + MaxMirrorRejections/4
	for i := range over + 1 {
		m.keep(Rejection{Serial: int64(i + 1), DID: did, CID: formatInt(int64(i))})
		if n := len(m.st.Rejections); n > over {
			t.Fatalf("%d kept after %d reports", n, i+1)
		}
	}
	oldest := over + 1 - MaxMirrorRejections // CID of the oldest kept
	if n := len(m.st.Rejections); n != MaxMirrorRejections || m.st.Rejections[0].CID != formatInt(int64(oldest)) {
		t.Fatalf("%d kept, oldest %s", n, m.st.Rejections[0].CID)
	}
	if m.idx.keys[formatInt(int64(oldest-1))] || !m.idx.keys[formatInt(int64(oldest))] || m.idx.byDID[did] != MaxMirrorRejections {
		t.Fatal("the index does not follow the kept reports")
	}
}
