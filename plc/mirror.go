package plc

import (
	"context"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// MirrorConfig configures a [Mirror].
type MirrorConfig struct {
	// Upstream is the base URL of the directory to follow (http or https,
	// no query). The mirror dials nothing else: no proxy, no redirect.
	Upstream string
	Store    store.PLC        // where verified operations go; empty for a new mirror
	State    MirrorStateStore // where the cursor and the reports are kept
	Logger   *slog.Logger     // nil: slog.Default()
	Now      func() time.Time // nil: time.Now

	Interval   time.Duration // between polls once caught up; default 10s
	MinBackoff time.Duration // first wait after a failed poll; default 1s
	MaxBackoff time.Duration // longest wait after failed polls; default 5m
	Timeout    time.Duration // per upstream request; default 30s
	PageSize   int           // operations asked per page; default and most ExportLimit
	MaxPage    int64         // bytes one response may have; default MaxLogResponse
}

func (c *MirrorConfig) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Interval, 10*time.Second)
	def(&c.MinBackoff, time.Second)
	def(&c.MaxBackoff, 5*time.Minute)
	def(&c.Timeout, 30*time.Second)
	if c.MaxPage <= 0 {
		c.MaxPage = MaxLogResponse
	}
	if c.PageSize <= 0 || c.PageSize > ExportLimit {
		c.PageSize = ExportLimit
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Mirror follows another PLC directory's export, verifies every operation
// by the rules a [Directory] applies, stores the ones that pass in its own
// store.PLC, serves them read-only with the directory API, and reports
// every operation the upstream accepted that the rules reject.
//
// Which rules: each operation must parse strictly, hash to the CID the
// upstream gives, be at most [MaxOperationSize] bytes of DRISL, and extend
// the DID's log as the mirror holds it (see [VerifyLog]): a genesis
// operation hashing to the DID, a signature by a rotation key the
// operation's prev allows (canonical base64url, low-S), a timestamp after
// the latest operation's, forks only by a higher-priority key within
// [RecoveryWindow], nothing after a tombstone. The field limits of
// [Operation.Validate] are not applied: they are a directory's policy for
// new operations, and logs the reference directory holds (duplicate or
// no rotation keys, legacy creates) break them and are still valid.
//
// A rejected operation is not stored. For its DID the mirror serves the
// history it verified (up to the last valid operation), flags every read
// of that DID with a Rhizome-Mirror-Rejected header, and goes on judging
// the DID's later operations against that history: one that builds on the
// rejected operation is rejected too, one that builds on verified history
// (a recovery, say) is accepted. Other DIDs are not affected.
type Mirror struct {
	cfg    MirrorConfig
	base   string
	client *Client
	dir    *Directory
	log    *slog.Logger

	syncing sync.Mutex // one sync at a time

	mu  sync.Mutex
	st  MirrorState
	idx rejections
	run mirrorRun
}

// mirrorRun is what a mirror knows about its polling since it started.
type mirrorRun struct {
	pageSize     int       // grows while a full page brings nothing new
	strict       bool      // createdAt mode: next page strictly after At
	lastPoll     time.Time // end of the last poll
	lastError    string
	errorsInARow int
	failedPolls  int64
	caughtUpAt   time.Time // last poll that found nothing new
}

const opMirror = "plc mirror"

// NewMirror opens a mirror of cfg.Upstream. A saved state for another
// upstream, or a store that holds operations without any saved state (a
// directory's own log), is refused.
func NewMirror(ctx context.Context, cfg MirrorConfig) (*Mirror, error) {
	cfg.defaults()
	base, err := parseUpstream(cfg.Upstream)
	if err != nil {
		return nil, err
	}
	m := &Mirror{cfg: cfg, base: base, dir: NewDirectory(cfg.Store, cfg.Now), log: cfg.Logger}
	m.client = &Client{BaseURL: base, HTTP: pinnedHTTPClient(base, cfg.Timeout)}
	if err := m.loadState(ctx); err != nil {
		return nil, err
	}
	m.run.pageSize = cfg.PageSize
	return m, nil
}

// parseUpstream checks an upstream URL and returns it without a trailing
// slash.
func parseUpstream(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", rhizome.Errorf(opMirror, rhizome.Invalid,
			"upstream %q must be an http or https URL without credentials, query or fragment", s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func (m *Mirror) loadState(ctx context.Context) error {
	st, err := m.cfg.State.Load()
	if err != nil {
		return err
	}
	if st == nil {
		if err := m.checkEmpty(ctx); err != nil {
			return err
		}
		st = &MirrorState{Upstream: m.base}
	}
	if st.Upstream != m.base {
		return rhizome.Errorf(opMirror, rhizome.Conflict,
			"this store mirrors %s, not %s; use a new data folder", st.Upstream, m.base)
	}
	m.st, m.idx = *st, indexRejections(st.Rejections)
	return nil
}

// checkEmpty refuses a store that already holds operations of its own.
func (m *Mirror) checkEmpty(ctx context.Context) error {
	some, err := m.cfg.Store.PLCExport(ctx, 0, 1)
	if err != nil {
		return rhizome.Errorf(opMirror, rhizome.KindOf(err), "%w", err)
	}
	if len(some) > 0 {
		return rhizome.E(opMirror, rhizome.Conflict,
			"the store holds operations but no mirror state: it is a directory's own log; use a new data folder")
	}
	return nil
}

// Upstream is the URL of the directory the mirror follows.
func (m *Mirror) Upstream() string { return m.base }

// Directory is the read side of the mirror: the verified operations.
func (m *Mirror) Directory() *Directory { return m.dir }

// Run polls the upstream until ctx is done: at once while pages bring
// new operations, every Interval once caught up, and after a failed poll
// with a back-off doubling from MinBackoff to MaxBackoff. It returns nil
// when ctx is done.
func (m *Mirror) Run(ctx context.Context) error {
	st := m.status()
	m.log.Info("PLC mirror: polling the upstream export", "upstream", m.base,
		"mode", st.Mode, "cursor", st.Cursor, "interval", m.cfg.Interval)
	for {
		err := m.Sync(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := m.cfg.Interval
		if err != nil {
			wait = m.backoff()
			m.log.Warn("PLC mirror: poll failed", "upstream", m.base, "err", err, "retry_in", wait)
		}
		if !sleepCtx(ctx, wait) {
			return nil
		}
	}
}

// backoff is the wait after the latest run of failed polls.
func (m *Mirror) backoff() time.Duration {
	m.mu.Lock()
	n := m.run.errorsInARow
	m.mu.Unlock()
	d := m.cfg.MinBackoff
	for i := 1; i < n && d < m.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, m.cfg.MaxBackoff)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Sync fetches pages from the upstream until one brings nothing new,
// verifying and storing every operation and reporting the rejected ones.
// The cursor is saved after every page. An error (the upstream failing,
// the store failing) ends the sync; the next one resumes where it stopped.
// Syncs (and Run) take turns.
func (m *Mirror) Sync(ctx context.Context) error {
	m.syncing.Lock()
	defer m.syncing.Unlock()
	for {
		more, err := m.syncPage(ctx)
		if ctx.Err() != nil {
			return ctx.Err() // stopping is not a failed poll
		}
		m.notePoll(err, more)
		if err != nil || !more {
			return err
		}
	}
}

func (m *Mirror) notePoll(err error, more bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	m.run.lastPoll = now
	switch {
	case err != nil:
		m.run.errorsInARow++
		m.run.failedPolls++
		m.run.lastError = err.Error()
	case !more:
		m.run.errorsInARow = 0
		m.run.caughtUpAt = now
	default:
		m.run.errorsInARow = 0
	}
}

// MirrorStatus is what GET /_mirror/status serves.
type MirrorStatus struct {
	Upstream string     `json:"upstream"`
	Mode     CursorMode `json:"mode,omitempty"`
	Cursor   string     `json:"cursor"`
	// LastOperationAt is the createdAt of the latest operation processed.
	LastOperationAt time.Time `json:"lastOperationAt,omitzero"`
	// CaughtUpAt is when a poll last found nothing new upstream.
	CaughtUpAt time.Time `json:"caughtUpAt,omitzero"`
	// LagSeconds is how stale the mirror may be: the time since it was
	// last caught up or, before that ever happened, since the createdAt of
	// the latest operation processed.
	LagSeconds     float64      `json:"lagSeconds"`
	LastPollAt     time.Time    `json:"lastPollAt,omitzero"`
	LastError      string       `json:"lastError,omitempty"` // of the last failed poll
	ErrorsInARow   int          `json:"errorsInARow"`        // failed polls since the last good one
	FailedPolls    int64        `json:"failedPolls"`         // since the mirror started`
	Counts         MirrorCounts `json:"counts"`
	RejectionsKept int          `json:"rejectionsKept"`
}

// Status reports the mirror's progress and what it has found.
func (m *Mirror) Status() MirrorStatus { return m.status() }

func (m *Mirror) status() MirrorStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := MirrorStatus{
		Upstream: m.base, Mode: m.st.Mode, Cursor: m.st.cursor(),
		LastOperationAt: m.st.LastOpAt, CaughtUpAt: m.run.caughtUpAt,
		LastPollAt: m.run.lastPoll, LastError: m.run.lastError,
		ErrorsInARow: m.run.errorsInARow, FailedPolls: m.run.failedPolls,
		Counts: m.st.Counts, RejectionsKept: len(m.st.Rejections),
	}
	since := m.run.caughtUpAt
	if since.IsZero() {
		since = m.st.LastOpAt
	}
	if !since.IsZero() {
		s.LagSeconds = max(0, m.cfg.Now().Sub(since).Seconds())
	}
	return s
}

// Rejections returns the kept reports, oldest first; only did's if did is
// not empty.
func (m *Mirror) Rejections(did syntax.DID) []Rejection {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Rejection
	for _, r := range m.st.Rejections {
		if did == "" || r.DID == did {
			out = append(out, r)
		}
	}
	return out
}

// rejectedCount is how many kept reports name did.
func (m *Mirror) rejectedCount(did syntax.DID) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.idx.byDID[did]
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
