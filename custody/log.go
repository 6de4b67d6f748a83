package custody

import (
	"context"
	"slices"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Directory is what the tool needs of a PLC directory; *plc.Client (any
// directory URL) and *plc.Directory (in process) provide it.
type Directory interface {
	AuditLog(ctx context.Context, did syntax.DID) ([]plc.LogEntry, error)
	Submit(ctx context.Context, did syntax.DID, op *plc.Operation) error
	Resolve(ctx context.Context, did syntax.DID) (*plc.Document, error)
}

// Tool performs identity operations against one directory.
type Tool struct {
	Dir Directory
	// Now is the clock recovery-window checks read; nil means time.Now.
	Now func() time.Time
}

func (t *Tool) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Entry is one operation of a log with who signed it.
type Entry struct {
	plc.LogEntry
	// Signer is the rotation key (did:key) that signed the operation, and
	// SignerIndex its position among the keys allowed to (the previous
	// operation's rotation keys; the genesis operation's own). Empty and
	// -1 when no allowed key verifies (only in a log the rules reject).
	Signer      string
	SignerIndex int
	// Prev is the index in the log of the operation this one follows, -1
	// for the genesis operation.
	Prev int
}

// Log is a DID's audit log as the directory serves it, checked against
// the did:plc rules.
type Log struct {
	DID     syntax.DID
	Entries []Entry
	// Err is why the log breaks the rules, nil if it does not. A tool
	// refuses to build changes on a log with Err set.
	Err error
	// Head is the index of the latest operation that is not nullified,
	// -1 if there is none.
	Head int
}

// Fetch reads did's audit log and verifies it. A log that breaks the
// rules is returned with Err set and no error, so an audit can show it.
func (t *Tool) Fetch(ctx context.Context, did syntax.DID) (*Log, error) {
	if _, err := plc.ParseDID(string(did)); err != nil {
		return nil, err
	}
	raw, err := t.Dir.AuditLog(ctx, did)
	if err != nil {
		return nil, rhizome.Errorf("fetch plc log", rhizome.KindOf(err), "%s: %w", did, err)
	}
	l := &Log{DID: did, Head: -1}
	if _, err := plc.VerifyLog(did, raw); err != nil {
		l.Err = err
	}
	l.Entries = annotate(raw)
	for i, e := range l.Entries {
		if !e.Nullified {
			l.Head = i
		}
	}
	return l, nil
}

// annotate finds each entry's prev and signer.
func annotate(raw []plc.LogEntry) []Entry {
	out := make([]Entry, len(raw))
	byCID := map[cid.CID]int{}
	for i, e := range raw {
		out[i] = Entry{LogEntry: e, SignerIndex: -1, Prev: -1}
		byCID[e.CID] = i
		allowed := e.Operation.EffectiveRotationKeys()
		if e.Operation.Prev.Defined() {
			p, ok := byCID[e.Operation.Prev]
			if !ok {
				continue
			}
			out[i].Prev = p
			allowed = raw[p].Operation.EffectiveRotationKeys()
		}
		if k, err := plc.VerifySignature(e.Operation, allowed); err == nil {
			out[i].Signer, out[i].SignerIndex = allowed[k], k
		}
	}
	return out
}

// Valid returns l's error if the log breaks the rules, as a Corrupt error.
func (l *Log) Valid() error {
	if l.Err != nil {
		return rhizome.Errorf("verify plc log", rhizome.Corrupt, "the directory's log of %s breaks the did:plc rules: %w", l.DID, l.Err)
	}
	if l.Head < 0 {
		return rhizome.Errorf("verify plc log", rhizome.Corrupt, "%s has no live operation", l.DID)
	}
	return nil
}

// Current is the latest live operation.
func (l *Log) Current() *Entry { return &l.Entries[l.Head] }

// Data is the DID's current state; NotFound wrapping plc.ErrGone if it is
// tombstoned.
func (l *Log) Data() (*plc.Data, error) {
	if err := l.Valid(); err != nil {
		return nil, err
	}
	return plc.DataFor(l.DID, l.Current().Operation)
}

// Live returns the indexes of the operations that are not nullified, in
// order: the chain from genesis to head.
func (l *Log) Live() []int {
	var out []int
	for i, e := range l.Entries {
		if !e.Nullified {
			out = append(out, i)
		}
	}
	return out
}

// RotationKeys are the keys that may sign the next operation, highest
// priority first.
func (l *Log) RotationKeys() []string {
	if l.Head < 0 {
		return nil
	}
	return slices.Clone(l.Current().Operation.EffectiveRotationKeys())
}
