package plc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"github.com/rhizome-pds/rhizome/syntax"
)

// CursorMode is how a mirror pages through its upstream's /export.
type CursorMode string

// The two export forms of PLC directories.
const (
	// CursorSeq pages by sequence number: after=<seq>, and every line
	// carries "seq". The reference directory offers it when after is an
	// integer; Rhizome's directory offers only this form.
	CursorSeq CursorMode = "seq"
	// CursorCreatedAt pages by timestamp: after=<createdAt>, the older
	// form. Operations sharing a millisecond may straddle a page, so the
	// mirror asks again from just before the last timestamp it saw and
	// skips the operations it already processed at that instant.
	CursorCreatedAt CursorMode = "createdAt"
)

// MaxMirrorRejections is how many of the most recent reports a mirror
// keeps in detail (up to a quarter more between trims); the counts cover
// all of them.
const MaxMirrorRejections = 10000

// MirrorState is what a mirror keeps between runs: where it is in its
// upstream's export, and what it has found wrong there.
type MirrorState struct {
	Upstream string     `json:"upstream"`
	Mode     CursorMode `json:"mode,omitempty"`
	// Seq is the last upstream sequence number processed (seq mode).
	Seq int64 `json:"seq,omitempty"`
	// At is the latest createdAt processed, and AtKeys the operations
	// already processed at exactly that instant (createdAt mode).
	At     time.Time `json:"at,omitzero"`
	AtKeys []string  `json:"atKeys,omitempty"`
	// LastOpAt is the createdAt of the latest operation processed.
	LastOpAt time.Time    `json:"lastOpAt,omitzero"`
	Counts   MirrorCounts `json:"counts"`
	// Rejections are the most recent MaxMirrorRejections reports, oldest
	// first. They are not part of the JSON form: a MirrorStateStore keeps
	// them as it likes ([MirrorStateFile] appends them to a second file).
	Rejections []Rejection `json:"-"`
}

// MirrorCounts counts what a mirror has done with the upstream's export
// lines since it started following it.
type MirrorCounts struct {
	Accepted   int64 `json:"accepted"`   // verified and stored
	Rejected   int64 `json:"rejected"`   // operations the rules refuse
	Malformed  int64 `json:"malformed"`  // lines that name no operation the mirror can place
	Duplicates int64 `json:"duplicates"` // operations already stored or reported, served again
	Ignored    int64 `json:"ignored"`    // lines of another type than an operation
}

// Rejection reports one export line the upstream served that the mirror
// refuses: an operation the rules reject (with its DID and CID), or a
// malformed line (Malformed, with the start of the line).
type Rejection struct {
	// Serial numbers the reports in the order the mirror made them; it is
	// the count of rejected and malformed lines once this one is counted.
	Serial    int64           `json:"serial"`
	DID       syntax.DID      `json:"did,omitempty"`
	CID       string          `json:"cid,omitempty"`
	CreatedAt string          `json:"createdAt,omitempty"`
	Cursor    string          `json:"cursor,omitempty"` // the line's position upstream, if known
	Malformed bool            `json:"malformed,omitempty"`
	Reason    string          `json:"reason"`
	Operation json.RawMessage `json:"operation,omitempty"` // as the upstream served it
	Line      string          `json:"line,omitempty"`      // a malformed line, truncated
	SeenAt    time.Time       `json:"seenAt"`
}

// key identifies the reported line: its CID, or a hash of the line.
func (r *Rejection) key() string {
	if r.CID != "" {
		return r.CID
	}
	sum := sha256.Sum256([]byte(r.Line))
	return "line:" + hex.EncodeToString(sum[:8])
}

// MirrorStateStore keeps a mirror's state between runs. The mirror saves
// after every page of the export, so Save should cost little more than
// the reports added since the last call (those with a higher Serial).
type MirrorStateStore interface {
	// Load returns the saved state, or nil if nothing was saved yet. Its
	// rejections are those with a Serial up to the saved counts' Rejected
	// plus Malformed.
	Load() (*MirrorState, error)
	Save(*MirrorState) error
}

// clone returns a deep copy of st, for saving outside the mirror's lock.
func (st *MirrorState) clone() *MirrorState {
	c := *st
	c.AtKeys = slices.Clone(st.AtKeys)
	c.Rejections = slices.Clone(st.Rejections)
	return &c
}

// cursor is the position in the upstream's export, as text.
func (st *MirrorState) cursor() string {
	switch {
	case st.Mode == CursorSeq:
		return formatInt(st.Seq)
	case st.Mode == CursorCreatedAt && !st.At.IsZero():
		return formatTime(st.At)
	}
	return ""
}

// rejections indexes the reports a mirror keeps, so it can tell a
// repeated report and flag a DID's reads.
type rejections struct {
	keys  map[string]bool
	byDID map[syntax.DID]int
}

func indexRejections(rs []Rejection) rejections {
	x := rejections{keys: map[string]bool{}, byDID: map[syntax.DID]int{}}
	for i := range rs {
		x.add(&rs[i])
	}
	return x
}

func (x rejections) add(r *Rejection) {
	x.keys[r.key()] = true
	if r.DID != "" {
		x.byDID[r.DID]++
	}
}

func (x rejections) remove(r *Rejection) {
	delete(x.keys, r.key())
	if r.DID == "" {
		return
	}
	if x.byDID[r.DID]--; x.byDID[r.DID] <= 0 {
		delete(x.byDID, r.DID)
	}
}
