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

// counter is what a progress report counts: a struct whose pointer sets
// the common fields and draws the one-line bar.
type counter interface {
	setPhase(string)
	setElapsed(ms int64)
	setDone()
	bar() string
}

// report reports counts C: as a bar redrawn on a terminal, as JSON
// lines (one per phase, on forced updates and every half second) for
// pipes, or not at all. rhizome store copy counts copyCounts (progress),
// rhizome migrate migrateCounts.
type report[C any, P interface {
	*C
	counter
}] struct {
	mu    sync.Mutex
	w     io.Writer
	mode  progressMode
	start time.Time
	last  time.Time
	c     C
	// line renders the bar; nil means the counts' own bar.
	line func(C) string
}

// progress reports a store copy.
type progress = report[copyCounts, *copyCounts]

type progressMode int

const (
	progressNone progressMode = iota
	progressBar
	progressJSON
)

// progressEvery is how often a line is written while counts change.
const progressEvery = 500 * time.Millisecond

// newProgress reports a store copy's counts.
func newProgress(w io.Writer, mode progressMode) *progress {
	return newReport[copyCounts](w, mode)
}

// newReport reports counts of type C.
func newReport[C any, P interface {
	*C
	counter
}](w io.Writer, mode progressMode) *report[C, P] {
	return &report[C, P]{w: w, mode: mode, start: time.Now()}
}

// phase starts a phase, reporting it.
func (p *report[C, P]) phase(name string) {
	p.update(true, func(c *C) { P(c).setPhase(name) })
}

// update changes the counts and reports them if force or if the last
// report is old enough.
func (p *report[C, P]) update(force bool, fn func(*C)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(&p.c)
	now := time.Now()
	if !force && now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	P(&p.c).setElapsed(now.Sub(p.start).Milliseconds())
	p.write()
}

// counts returns a copy of the counts.
func (p *report[C, P]) counts() C {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.c
}

// finish writes the last report: the JSON line with done set, or the
// bar's final state and a new line.
func (p *report[C, P]) finish() {
	p.update(true, func(c *C) { P(c).setPhase("done"); P(c).setDone() })
	if p.mode == progressBar {
		fmt.Fprintln(p.w)
	}
}

func (p *report[C, P]) write() {
	switch p.mode {
	case progressJSON:
		b, _ := json.Marshal(p.c)
		p.w.Write(append(b, '\n'))
	case progressBar:
		line := P(&p.c).bar()
		if p.line != nil {
			line = p.line(p.c)
		}
		fmt.Fprintf(p.w, "\r%s\033[K", line)
	}
}

func (c *copyCounts) setPhase(s string)   { c.Phase = s }
func (c *copyCounts) setElapsed(ms int64) { c.ElapsedMillis = ms }
func (c *copyCounts) setDone()            { c.Done = true }
func (c *copyCounts) bar() string         { return bar(*c) }

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
