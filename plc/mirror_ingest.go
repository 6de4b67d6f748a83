package plc

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
)

const (
	// maxAtKeys bounds the operations remembered at one createdAt instant.
	maxAtKeys = 100000
	// maxReportedOp bounds the operation JSON a report keeps; a valid
	// operation's is well under it.
	maxReportedOp = 16 << 10
)

// syncPage fetches and processes one page. More is true when the next
// page should be fetched at once.
func (m *Mirror) syncPage(ctx context.Context) (more bool, err error) {
	mode, err := m.ensureMode(ctx)
	if err != nil || mode == "" {
		return false, err
	}
	path, count := m.pagePath()
	body, err := m.client.get(ctx, path, m.cfg.MaxPage)
	if err != nil {
		return false, err
	}
	before := m.mark()
	n, err := m.processPage(ctx, body)
	if serr := m.saveState(); err == nil {
		err = serr
	}
	if err != nil {
		return false, err
	}
	return m.afterPage(before, n, count)
}

// mark is the mirror's position, to tell whether a page moved it.
func (m *Mirror) mark() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("%s/%d", m.st.cursor(), len(m.st.AtKeys))
}

// afterPage decides what follows a page of n lines that asked for count:
// another page at once if it moved the cursor; a larger page if it was
// full of lines already processed (createdAt mode: many operations in one
// millisecond), then, at the largest size, a page strictly after that
// millisecond; otherwise the mirror is caught up.
func (m *Mirror) afterPage(before string, n, count int) (bool, error) {
	moved := m.mark() != before
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case moved:
		m.run.pageSize, m.run.strict = m.cfg.PageSize, false
		return true, nil
	case n < count:
		m.run.pageSize, m.run.strict = m.cfg.PageSize, false
		return false, nil
	case m.run.pageSize < ExportLimit:
		m.run.pageSize = min(2*m.run.pageSize, ExportLimit)
		return true, nil
	case m.st.Mode == CursorCreatedAt && !m.run.strict:
		m.run.strict = true
		m.log.Warn("PLC mirror: more operations share one createdAt than a page holds; skipping past it, some may be missed",
			"upstream", m.base, "createdAt", formatTime(m.st.At))
		return true, nil
	}
	m.run.strict = false
	return false, rhizome.Errorf(opMirror, rhizome.Unavailable,
		"the upstream export does not advance past %s", m.st.cursor())
}

// processPage processes the lines of body in order. It stops at the first
// line the mirror could not process for a reason of its own (the store
// failing), leaving the cursor before it.
func (m *Mirror) processPage(ctx context.Context, body []byte) (n int, err error) {
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
		n++
		if err := m.processLine(ctx, line); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (m *Mirror) processLine(ctx context.Context, raw []byte) error {
	mode := m.mode()
	ln, err := placeLine(raw, mode)
	switch {
	case err != nil:
		m.report(ln, mode, err.Error(), true)
	case m.seen(ln, mode):
		// At or before the cursor: asked again on purpose (createdAt
		// overlap) or served again by the upstream; processed already.
	case ln.other:
		m.log.Warn("PLC mirror: skipping an export line that is not an operation",
			"upstream", m.base, "cursor", ln.position(mode), "line", truncate(string(raw), 200))
		m.consume(ln, mode, func(c *MirrorCounts) { c.Ignored++ })
	default:
		return m.judge(ctx, ln, mode)
	}
	return nil
}

// judge verifies the line's operation and stores it, or reports it.
func (m *Mirror) judge(ctx context.Context, ln exportLine, mode CursorMode) error {
	e, b, refused := ln.entry()
	dup := false
	if refused == nil {
		var err error
		if dup, refused, err = m.dir.accept(ctx, e, b); err != nil {
			return err
		}
	}
	switch {
	case refused != nil:
		m.report(ln, mode, m.explain(e, refused), false)
	case dup:
		m.consume(ln, mode, func(c *MirrorCounts) { c.Duplicates++ })
	default:
		m.log.Debug("PLC mirror: operation verified", "did", e.DID, "cid", e.CID, "cursor", ln.position(mode))
		m.consume(ln, mode, func(c *MirrorCounts) { c.Accepted++ })
	}
	return nil
}

// explain is the reason an operation is rejected, naming the rejected
// operation it builds on if it does.
func (m *Mirror) explain(e LogEntry, err error) string {
	if e.Operation == nil || !e.Operation.Prev.Defined() {
		return err.Error()
	}
	prev := e.Operation.Prev.String()
	m.mu.Lock()
	rejectedPrev := m.idx.keys[prev]
	m.mu.Unlock()
	if rejectedPrev {
		return fmt.Sprintf("follows rejected operation %s: %v", prev, err)
	}
	return err.Error()
}

// seen reports whether the line is at or before the cursor.
func (m *Mirror) seen(ln exportLine, mode CursorMode) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mode == CursorSeq {
		return ln.seq <= m.st.Seq
	}
	return ln.at.Before(m.st.At) || ln.at.Equal(m.st.At) && slices.Contains(m.st.AtKeys, ln.key())
}

// consume counts the line and moves the cursor past it.
func (m *Mirror) consume(ln exportLine, mode CursorMode, count func(*MirrorCounts)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	count(&m.st.Counts)
	m.advance(ln, mode)
}

// advance moves the cursor past the line, if the line can be placed.
// Called with m.mu held.
func (m *Mirror) advance(ln exportLine, mode CursorMode) {
	if ln.hasAt && ln.at.After(m.st.LastOpAt) {
		m.st.LastOpAt = ln.at
	}
	switch {
	case mode == CursorSeq && ln.hasSeq && ln.seq > m.st.Seq:
		m.st.Seq = ln.seq
	case mode != CursorCreatedAt || !ln.hasAt:
	case ln.at.After(m.st.At):
		m.st.At, m.st.AtKeys = ln.at, []string{ln.key()}
	case ln.at.Equal(m.st.At) && len(m.st.AtKeys) < maxAtKeys:
		m.st.AtKeys = append(m.st.AtKeys, ln.key())
	}
}

// report records a line the mirror refuses, logs it and moves the cursor
// past it. A line already reported counts as a duplicate.
func (m *Mirror) report(ln exportLine, mode CursorMode, reason string, malformed bool) {
	r := Rejection{
		DID: ln.did, CID: truncate(ln.cid, 128), CreatedAt: truncate(ln.atRaw, 64),
		Cursor: ln.position(mode), Malformed: malformed, Reason: reason, SeenAt: m.cfg.Now().UTC(),
	}
	if malformed {
		r.Line = truncate(string(ln.raw), 1024)
	} else if len(ln.op) <= maxReportedOp {
		r.Operation = ln.op
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.advance(ln, mode)
	if m.idx.keys[r.key()] {
		m.st.Counts.Duplicates++
		return
	}
	if malformed {
		m.st.Counts.Malformed++
	} else {
		m.st.Counts.Rejected++
	}
	r.Serial = m.st.Counts.Rejected + m.st.Counts.Malformed
	m.keep(r)
	if malformed {
		m.log.Warn("PLC mirror: malformed export line", "upstream", m.base,
			"cursor", r.Cursor, "did", r.DID, "reason", reason, "line", truncate(r.Line, 200))
		return
	}
	m.log.Warn("PLC mirror: the upstream accepted an operation the rules reject", "upstream", m.base,
		"did", r.DID, "cid", r.CID, "createdAt", r.CreatedAt, "cursor", r.Cursor, "reason", reason)
}

// keep adds r to the kept reports. Past MaxMirrorRejections and a
// quarter, the oldest are dropped down to MaxMirrorRejections (in one go,
// so a flood of reports costs little). Called with m.mu held.
func (m *Mirror) keep(r Rejection) {
	m.st.Rejections = append(m.st.Rejections, r)
	m.idx.add(&r)
	if n := len(m.st.Rejections); n > MaxMirrorRejections+MaxMirrorRejections/4 {
		drop := n - MaxMirrorRejections
		for i := range drop {
			m.idx.remove(&m.st.Rejections[i])
		}
		m.st.Rejections = slices.Clone(m.st.Rejections[drop:])
	}
}

func (m *Mirror) saveState() error {
	m.mu.Lock()
	st := m.st.clone()
	m.mu.Unlock()
	return m.cfg.State.Save(st)
}

// accept appends an operation another directory accepted at e.CreatedAt
// if the rules allow it after did's log as stored here. Dup reports that
// the operation is already in the log, refused why the rules refuse it;
// err is the store failing.
func (d *Directory) accept(ctx context.Context, e LogEntry, b []byte) (dup bool, refused, err error) {
	unlock := d.lock(e.DID)
	defer unlock()
	c, err := d.chain(ctx, e.DID)
	if err != nil && !rhizome.Is(err, rhizome.NotFound) {
		return false, nil, err
	}
	if c.nodes[e.CID] != nil {
		return true, nil, nil
	}
	s, err := c.check(e.Operation, e.CreatedAt)
	if rhizome.Is(err, rhizome.Invalid) {
		return false, err, nil
	}
	if err != nil {
		return false, nil, err
	}
	a := store.PLCAppend{
		Entry: store.PLCEntry{DID: e.DID, CID: e.CID, Op: b, CreatedAt: e.CreatedAt},
		Last:  c.headCID(),
	}
	for _, n := range s.nullify {
		a.Nullify = append(a.Nullify, n.cid)
	}
	if err := d.store.AppendPLC(ctx, a); err != nil {
		return false, nil, rhizome.Errorf("store mirrored plc operation", rhizome.KindOf(err), "%w", err)
	}
	return false, nil, nil
}
