package plc

import (
	"encoding/json"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// LogEntry is one operation of a DID's audit log, as /{did}/log/audit
// serves it.
type LogEntry struct {
	DID       syntax.DID
	Operation *Operation
	CID       cid.CID
	Nullified bool
	CreatedAt time.Time // when the directory accepted it, millisecond precision
}

const opVerifyLog = "verify plc audit log"

// VerifyLog checks that entries are exactly the audit log the rules
// produce for did: every entry belongs to did and carries its operation's
// CID, the first is did's genesis operation, each operation is signed by a
// key it was allowed to be signed with at the time it arrived, timestamps
// increase, forks nullify only within the recovery window and only by a
// higher-priority key, and the nullified flags are the ones the forks
// imply. It returns the latest operation that is not nullified, whose
// state is the DID's current state.
func VerifyLog(did syntax.DID, entries []LogEntry) (*Operation, error) {
	if len(entries) == 0 {
		return nil, rhizome.E(opVerifyLog, rhizome.Invalid, "empty log")
	}
	c := newChain(did)
	for i, e := range entries {
		if err := c.verifyEntry(e); err != nil {
			return nil, rhizome.Errorf(opVerifyLog, rhizome.KindOf(err), "entry %d: %w", i, err)
		}
	}
	for i, e := range entries {
		if n := c.nodes[e.CID]; n.nullified != e.Nullified {
			return nil, rhizome.Errorf(opVerifyLog, rhizome.Invalid,
				"entry %d: nullified is %t, want %t", i, e.Nullified, n.nullified)
		}
	}
	return c.head.op, nil
}

func (c *chain) verifyEntry(e LogEntry) error {
	if e.DID != c.did {
		return rhizome.Errorf("", rhizome.Invalid, "entry is for %s", e.DID)
	}
	if e.Operation == nil {
		return rhizome.E("", rhizome.Invalid, "no operation")
	}
	id, err := e.Operation.CID()
	if err != nil {
		return err
	}
	if id != e.CID {
		return rhizome.Errorf("", rhizome.Invalid, "cid is %s, operation hashes to %s", e.CID, id)
	}
	if c.nodes[id] != nil {
		return rhizome.Errorf("", rhizome.Invalid, "operation %s appears twice", id)
	}
	s, err := c.check(e.Operation, e.CreatedAt)
	if err != nil {
		return err
	}
	c.add(e.Operation, id, e.CreatedAt, s)
	return nil
}

// logEntryJSON is the wire form of LogEntry.
type logEntryJSON struct {
	DID       string          `json:"did"`
	Operation json.RawMessage `json:"operation"`
	CID       string          `json:"cid"`
	Nullified bool            `json:"nullified"`
	CreatedAt string          `json:"createdAt"`
}

// MarshalJSON writes the entry in the directory API's form.
func (e LogEntry) MarshalJSON() ([]byte, error) {
	op, err := json.Marshal(e.Operation)
	if err != nil {
		return nil, err
	}
	return json.Marshal(logEntryJSON{
		DID: string(e.DID), Operation: op, CID: e.CID.String(),
		Nullified: e.Nullified, CreatedAt: formatTime(e.CreatedAt),
	})
}

// UnmarshalJSON reads an entry, parsing every field strictly.
func (e *LogEntry) UnmarshalJSON(b []byte) error {
	var w logEntryJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return rhizome.Errorf("parse plc log entry", rhizome.Invalid, "%w", err)
	}
	out, err := parseEntry(w.DID, w.CID, w.CreatedAt, w.Operation)
	if err != nil {
		return err
	}
	out.Nullified = w.Nullified
	*e = out
	return nil
}

func parseEntry(did, c, createdAt string, op json.RawMessage) (LogEntry, error) {
	const opName = "parse plc log entry"
	var e LogEntry
	var err error
	if e.DID, err = syntax.ParseDID(did); err != nil {
		return e, rhizome.Errorf(opName, rhizome.Invalid, "%w", err)
	}
	if e.CID, err = cid.Parse(c); err != nil {
		return e, rhizome.Errorf(opName, rhizome.Invalid, "cid: %w", err)
	}
	dt, err := syntax.ParseDatetime(createdAt)
	if err != nil {
		return e, rhizome.Errorf(opName, rhizome.Invalid, "createdAt: %w", err)
	}
	e.CreatedAt = dt.Time()
	if e.Operation, err = ParseOperationJSON(op); err != nil {
		return e, err
	}
	return e, nil
}

// ParseAuditLog parses a directory's /{did}/log/audit response.
func ParseAuditLog(b []byte) ([]LogEntry, error) {
	var entries []LogEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, rhizome.Errorf("parse plc audit log", rhizome.Invalid, "%w", err)
	}
	return entries, nil
}

// ExportEntry is one line of a directory's /export: an accepted operation
// with its position in the directory-wide order.
type ExportEntry struct {
	LogEntry
	Seq int64
}

type exportEntryJSON struct {
	Type      string          `json:"type"`
	DID       string          `json:"did"`
	Operation json.RawMessage `json:"operation"`
	CID       string          `json:"cid"`
	CreatedAt string          `json:"createdAt"`
	Seq       int64           `json:"seq"`
}

// exportType is the type of a sequenced export line, as the reference
// directory writes it. exportTypeOld is what earlier Rhizome directories
// wrote; it is still read.
const (
	exportType    = "sequenced_op"
	exportTypeOld = "indexed_op"
)

// MarshalJSON writes the entry as a sequenced export line.
func (e ExportEntry) MarshalJSON() ([]byte, error) {
	op, err := json.Marshal(e.Operation)
	if err != nil {
		return nil, err
	}
	return json.Marshal(exportEntryJSON{
		Type: exportType, DID: string(e.DID), Operation: op, CID: e.CID.String(),
		CreatedAt: formatTime(e.CreatedAt), Seq: e.Seq,
	})
}

// UnmarshalJSON reads a sequenced export line.
func (e *ExportEntry) UnmarshalJSON(b []byte) error {
	var w exportEntryJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return rhizome.Errorf("parse plc export entry", rhizome.Invalid, "%w", err)
	}
	if w.Type != exportType && w.Type != exportTypeOld {
		return rhizome.Errorf("parse plc export entry", rhizome.Invalid, "type %q, want %q", w.Type, exportType)
	}
	le, err := parseEntry(w.DID, w.CID, w.CreatedAt, w.Operation)
	if err != nil {
		return err
	}
	*e = ExportEntry{LogEntry: le, Seq: w.Seq}
	return nil
}

// formatTime writes t as the directory does: UTC, milliseconds, "Z".
func formatTime(t time.Time) string { return t.UTC().Format(syntax.DatetimeLayout) }
