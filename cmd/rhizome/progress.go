package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// copyCounts is what rhizome store copy has done so far.
type copyCounts struct {
	Phase         string `json:"phase"`
	Accounts      int    `json:"accounts"`
	AccountsTotal int    `json:"accounts_total"`
	Records       int64  `json:"records"`
	Blocks        int64  `json:"blocks"`
	Blobs         int64  `json:"blobs"`
	BlobBytes     int64  `json:"blob_bytes"`
	Sessions      int64  `json:"sessions"`
	Invites       int64  `json:"invites"`
	Events        int64  `json:"events"`
	PLCOps        int64  `json:"plc_ops"`
	// Skipped counts repositories, blobs and log entries already on the
	// target (verified, not written again).
	Skipped       int64 `json:"skipped"`
	VerifiedRepos int   `json:"verified_repos"`
	VerifiedBlobs int64 `json:"verified_blobs"`
	EventSeqShift int64 `json:"event_seq_shift"`
	// Backups (rhizome backup) fill these too.
	BlocksTotal   int64 `json:"blocks_total,omitempty"`
	BlobsTotal    int64 `json:"blobs_total,omitempty"`
	BytesRead     int64 `json:"bytes_read,omitempty"`
	BytesWritten  int64 `json:"bytes_written,omitempty"`
	ElapsedMillis int64 `json:"elapsed_ms"`
	Done          bool  `json:"done,omitempty"`
}

// progress reports a copy's counts: as a bar redrawn on a terminal, as
// JSON lines (one per account, per phase and every half second) for
// pipes, or not at all.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	mode  progressMode
	start time.Time
	last  time.Time
	c     copyCounts
	// line renders the bar; nil means bar (a store copy's).
	line func(copyCounts) string
}

type progressMode int

const (
	progressNone progressMode = iota
	progressBar
	progressJSON
)

// progressEvery is how often a line is written while counts change.
const progressEvery = 500 * time.Millisecond

func newProgress(w io.Writer, mode progressMode) *progress {
	return &progress{w: w, mode: mode, start: time.Now()}
}

// phase starts a phase, reporting it.
func (p *progress) phase(name string) {
	p.update(true, func(c *copyCounts) { c.Phase = name })
}

// update changes the counts and reports them if force or if the last
// report is old enough.
func (p *progress) update(force bool, fn func(*copyCounts)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(&p.c)
	now := time.Now()
	if !force && now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	p.c.ElapsedMillis = now.Sub(p.start).Milliseconds()
	p.write()
}

// counts returns a copy of the counts.
func (p *progress) counts() copyCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.c
}

// finish writes the last report: the JSON line with done set, or the
// bar's final state and a new line.
func (p *progress) finish() {
	p.update(true, func(c *copyCounts) { c.Phase, c.Done = "done", true })
	if p.mode == progressBar {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) write() {
	switch p.mode {
	case progressJSON:
		b, _ := json.Marshal(p.c)
		p.w.Write(append(b, '\n'))
	case progressBar:
		line := p.line
		if line == nil {
			line = bar
		}
		fmt.Fprintf(p.w, "\r%s\033[K", line(p.c))
	}
}

// bar is one line: a bar of accounts done and the other counts.
func bar(c copyCounts) string {
	const width = 24
	filled := 0
	if c.AccountsTotal > 0 {
		filled = width * c.Accounts / c.AccountsTotal
	}
	return fmt.Sprintf("[%s%s] %d/%d accounts · %d records · %d blobs (%s) · %d events · %s · %.1fs",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), c.Accounts, c.AccountsTotal,
		c.Records, c.Blobs, bytesString(c.BlobBytes), c.Events, c.Phase, float64(c.ElapsedMillis)/1000)
}

// bytesString is n in B, KB, MB or GB.
func bytesString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
