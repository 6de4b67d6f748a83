package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestProgress_Report(t *testing.T) {
	t.Run("JSON lines, the last one done", func(t *testing.T) {
		var b bytes.Buffer
		p := newProgress(&b, progressJSON)
		p.phase("accounts")
		p.update(false, func(c *copyCounts) { c.Records += 10 }) // too soon after the last line: not written
		p.update(true, func(c *copyCounts) { c.Accounts, c.AccountsTotal = 1, 2 })
		p.finish()
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		if len(lines) != 3 {
			t.Fatalf("%d lines: %q", len(lines), b.String())
		}
		var last copyCounts
		if err := json.Unmarshal([]byte(lines[2]), &last); err != nil {
			t.Fatal(err)
		}
		if !last.Done || last.Phase != "done" || last.Records != 10 || last.Accounts != 1 || last.AccountsTotal != 2 {
			t.Fatalf("last line %+v", last)
		}
	})
	t.Run("a bar redrawn in place", func(t *testing.T) {
		var b bytes.Buffer
		p := newProgress(&b, progressBar)
		p.update(true, func(c *copyCounts) { c.Accounts, c.AccountsTotal, c.BlobBytes = 3, 4, 3<<20 })
		p.finish()
		out := b.String()
		if !strings.HasPrefix(out, "\r[##################......] 3/4 accounts") || !strings.Contains(out, "(3.0 MB)") || !strings.HasSuffix(out, "\n") {
			t.Fatalf("bar %q", out)
		}
	})
}
