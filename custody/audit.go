package custody

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Severity ranks a finding.
type Severity string

// The severities, most serious first.
const (
	Alert   Severity = "alert"   // someone acted against the owner, or the log is invalid
	Warning Severity = "warning" // a change the owner did not sign that matters
	Note    Severity = "note"    // worth knowing
)

// Finding is one thing an audit reports.
type Finding struct {
	Severity Severity  `json:"severity"`
	Op       string    `json:"op,omitempty"` // the operation's CID
	At       time.Time `json:"at,omitzero"`
	By       string    `json:"by,omitempty"` // the key that signed it
	What     string    `json:"what"`
}

// OpReport summarises one operation of the log.
type OpReport struct {
	CID        string    `json:"cid"`
	At         time.Time `json:"at"`
	Type       string    `json:"type"`
	Signer     string    `json:"signer"`
	SignerRank int       `json:"signerRank"` // 1 is the highest priority; 0 if no allowed key verifies
	Nullified  bool      `json:"nullified"`
	Changes    []string  `json:"changes"`
}

// Report is an audit of a DID's whole log.
type Report struct {
	DID syntax.DID `json:"did"`
	// Owner is the rotation key treated as the user's: the one given, or
	// else the first rotation key of the genesis operation (OwnerAssumed).
	Owner        string     `json:"owner"`
	OwnerAssumed bool       `json:"ownerAssumed"`
	Valid        bool       `json:"valid"`
	Problem      string     `json:"problem,omitempty"`
	Operations   []OpReport `json:"operations"`
	Findings     []Finding  `json:"findings"`
}

// Worst returns the most serious severity found, "" if nothing was.
func (r *Report) Worst() Severity {
	worst := Severity("")
	for _, f := range r.Findings {
		if f.Severity == Alert {
			return Alert
		}
		if f.Severity == Warning || worst == "" {
			worst = f.Severity
		}
	}
	return worst
}

// Audit verifies every operation of did's log against the did:plc rules
// and reports what deserves attention: a lower-priority (host) key
// removing or demoting a higher one, the PDS or signing key changed by a
// key other than the owner's, nullified operations, recent foreign changes
// still within the recovery window, and the owner's key missing or not
// first. owner is the user's rotation key (a did:key), or "" to assume the
// genesis operation's first rotation key.
func (t *Tool) Audit(ctx context.Context, did syntax.DID, owner string) (*Report, error) {
	l, err := t.Fetch(ctx, did)
	if err != nil {
		return nil, err
	}
	r := &Report{DID: did, Owner: owner, Valid: l.Err == nil, Operations: []OpReport{}, Findings: []Finding{}}
	if l.Err != nil {
		r.Problem = l.Err.Error()
		r.add(Finding{Severity: Alert, What: "the directory's log breaks the did:plc rules: " + r.Problem})
	}
	if r.Owner == "" && len(l.Entries) > 0 {
		if ks := l.Entries[0].Operation.EffectiveRotationKeys(); len(ks) > 0 {
			r.Owner, r.OwnerAssumed = ks[0], true
		}
	}
	a := auditor{l: l, r: r, now: t.now()}
	for i := range l.Entries {
		a.entry(i)
	}
	a.final()
	return r, nil
}

func (r *Report) add(f Finding) { r.Findings = append(r.Findings, f) }

type auditor struct {
	l   *Log
	r   *Report
	now time.Time
}

// finding records what e did. What a nullified operation did was undone,
// so it is at most a warning.
func (a *auditor) finding(e *Entry, s Severity, format string, args ...any) {
	what := fmt.Sprintf(format, args...)
	if e.Nullified && s == Alert {
		s, what = Warning, what+" (undone: the operation is nullified)"
	}
	a.r.add(Finding{Severity: s, Op: e.CID.String(), At: e.CreatedAt, By: e.Signer, What: what})
}

func (a *auditor) mine(e *Entry) bool { return e.Signer != "" && e.Signer == a.r.Owner }

func (a *auditor) entry(i int) {
	e := &a.l.Entries[i]
	rep := OpReport{CID: e.CID.String(), At: e.CreatedAt, Type: string(e.Operation.Type),
		Signer: e.Signer, SignerRank: e.SignerIndex + 1, Nullified: e.Nullified}
	if e.Signer == "" {
		a.finding(e, Alert, "its signature verifies with none of the keys allowed to sign it")
	}
	if e.Prev < 0 {
		rep.Changes = a.genesis(e)
	} else {
		rep.Changes = a.changes(e, &a.l.Entries[e.Prev])
	}
	if e.Nullified {
		a.nullified(i)
	} else if !a.mine(e) && a.now.Sub(e.CreatedAt) <= plc.RecoveryWindow && e.Prev >= 0 {
		a.finding(e, Warning, "not signed by your key and still undoable until %s: if you did not ask for it, recover", stamp(e.CreatedAt.Add(plc.RecoveryWindow)))
	}
	a.r.Operations = append(a.r.Operations, rep)
}

func (a *auditor) genesis(e *Entry) []string {
	ks := e.Operation.EffectiveRotationKeys()
	ch := []string{fmt.Sprintf("created with rotation keys %v", ks)}
	switch i := slices.Index(ks, a.r.Owner); {
	case i < 0:
		a.finding(e, Warning, "your key %s was not a rotation key at creation", a.r.Owner)
	case i > 0:
		a.finding(e, Warning, "your key was rotation key %d at creation, below %v", i+1, ks[:i])
	}
	return ch
}

// changes compares e with its prev and reports the differences.
func (a *auditor) changes(e, prev *Entry) []string {
	if e.Operation.Type == plc.TypeTombstone {
		sev := Alert
		if a.mine(e) {
			sev = Warning
		}
		a.finding(e, sev, "tombstoned the DID for good")
		return []string{"tombstone"}
	}
	before, err1 := plc.DataFor(a.l.DID, prev.Operation)
	after, err2 := plc.DataFor(a.l.DID, e.Operation)
	if err1 != nil || err2 != nil {
		return nil
	}
	var ch []string
	ch = append(ch, a.rotationChanges(e, before.RotationKeys, after.RotationKeys)...)
	ch = append(ch, a.serviceChanges(e, before, after)...)
	ch = append(ch, a.methodChanges(e, before, after)...)
	if !slices.Equal(before.AlsoKnownAs, after.AlsoKnownAs) {
		ch = append(ch, fmt.Sprintf("alsoKnownAs %v -> %v", before.AlsoKnownAs, after.AlsoKnownAs))
	}
	return ch
}
