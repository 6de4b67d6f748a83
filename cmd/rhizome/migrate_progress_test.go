package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/custody"
)

func TestMigrateProgress_Report(t *testing.T) {
	t.Run("JSON lines, the last one done with the result", func(t *testing.T) {
		var b bytes.Buffer
		p := newReport[migrateCounts](&b, progressJSON)
		o := observe(p)
		o.Step("repository")
		o.Totals(10, 2)
		o.Done("repository", custody.StepDone, "imported")
		o.Step("blobs")
		o.Blob(100)
		o.Blob(50)
		p.update(false, func(n *migrateCounts) { n.Result = &custody.Migrated{Records: 10} })
		p.finish()
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		var last migrateCounts
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
			t.Fatal(err)
		}
		if !last.Done || last.Phase != "done" || last.StepsDone != 1 || last.Blobs != 2 || last.BlobBytes != 150 ||
			last.Records != 10 || last.BlobsTotal != 2 || last.Result == nil || last.Result.Records != 10 || last.Last != "repository: done" {
			t.Fatalf("last line %+v", last)
		}
	})
	t.Run("a bar of the steps", func(t *testing.T) {
		var b bytes.Buffer
		p := newReport[migrateCounts](&b, progressBar)
		p.update(true, func(n *migrateCounts) {
			n.StepsDone, n.Phase, n.Blobs, n.BlobsTotal, n.BlobBytes = 3, "blobs", 5, 200, 2<<20
		})
		out := b.String()
		if !strings.HasPrefix(out, "\r[######............] step 4/9 blobs") || !strings.Contains(out, "5 blobs copied of 200 (2.0 MB)") {
			t.Fatalf("bar %q", out)
		}
	})
}
