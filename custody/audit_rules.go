package custody

import (
	"fmt"
	"maps"
	"slices"

	"github.com/rhizome-pds/rhizome/plc"
)

// rotationChanges reports added, removed and reordered rotation keys, and
// flags a key acting against keys that outrank it.
func (a *auditor) rotationChanges(e *Entry, before, after []string) []string {
	var ch []string
	for i, k := range before {
		j := slices.Index(after, k)
		switch {
		case j < 0:
			ch = append(ch, "removed rotation key "+k)
			a.againstHigher(e, k, i, "removed")
		case demoted(before, after, k):
			ch = append(ch, fmt.Sprintf("moved rotation key %s from %d to %d", k, i+1, j+1))
			a.againstHigher(e, k, i, "demoted")
		}
	}
	for j, k := range after {
		if slices.Contains(before, k) {
			continue
		}
		ch = append(ch, fmt.Sprintf("added rotation key %s at %d", k, j+1))
		if a.mine(e) {
			continue
		}
		sev := Warning
		if o := slices.Index(after, a.r.Owner); o >= 0 && j < o {
			sev = Alert
		}
		a.finding(e, sev, "added rotation key %s at position %d", k, j+1)
	}
	return ch
}

// demoted reports whether a key that was below k before is above it
// after (keys added above k are reported as additions).
func demoted(before, after []string, k string) bool {
	above := func(list []string) []string { return list[:slices.Index(list, k)] }
	for _, x := range above(after) {
		if slices.Contains(before, x) && !slices.Contains(above(before), x) {
			return true
		}
	}
	return false
}

// againstHigher flags a removal or demotion of a key at rank i by a key
// that does not outrank it.
func (a *auditor) againstHigher(e *Entry, k string, i int, verb string) {
	switch {
	case k == a.r.Owner && !a.mine(e):
		a.finding(e, Alert, "%s your rotation key %s (signed by %s, rank %d)", verb, k, e.Signer, e.SignerIndex+1)
	case e.SignerIndex > i:
		a.finding(e, Alert, "a lower-priority key (rank %d) %s rotation key %s of rank %d", e.SignerIndex+1, verb, k, i+1)
	case !a.mine(e):
		a.finding(e, Warning, "%s rotation key %s", verb, k)
	}
}

func (a *auditor) serviceChanges(e *Entry, before, after *plc.Data) []string {
	var ch []string
	was, _ := before.PDS()
	now, _ := after.PDS()
	if was != now {
		ch = append(ch, fmt.Sprintf("PDS %q -> %q", was, now))
		sev := Warning
		if a.mine(e) {
			sev = Note
		}
		a.finding(e, sev, "repointed the PDS from %q to %q", was, now)
	}
	if !maps.Equal(withoutPDS(before.Services), withoutPDS(after.Services)) {
		ch = append(ch, "changed other services")
	}
	return ch
}

func withoutPDS(m map[string]plc.Service) map[string]plc.Service {
	c := maps.Clone(m)
	delete(c, plc.ServiceAtprotoPDS)
	return c
}

func (a *auditor) methodChanges(e *Entry, before, after *plc.Data) []string {
	var ch []string
	was := before.VerificationMethods[plc.VerificationMethodAtproto]
	now := after.VerificationMethods[plc.VerificationMethodAtproto]
	if was != now {
		ch = append(ch, fmt.Sprintf("signing key %s -> %s", orNone(was), orNone(now)))
		sev := Warning
		if a.mine(e) {
			sev = Note
		}
		a.finding(e, sev, "changed the repository signing key from %s to %s", orNone(was), orNone(now))
	}
	b, c := maps.Clone(before.VerificationMethods), maps.Clone(after.VerificationMethods)
	delete(b, plc.VerificationMethodAtproto)
	delete(c, plc.VerificationMethodAtproto)
	if !maps.Equal(b, c) {
		ch = append(ch, "changed other verification methods")
	}
	return ch
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// nullified reports a nullified operation and what nullified it.
func (a *auditor) nullified(i int) {
	e := &a.l.Entries[i]
	top := i
	for a.l.Entries[top].Prev >= 0 && a.l.Entries[a.l.Entries[top].Prev].Nullified {
		top = a.l.Entries[top].Prev
	}
	by := a.nullifier(top)
	if by == nil {
		a.finding(e, Warning, "nullified, by no operation the log shows")
		return
	}
	sev := Warning
	if a.mine(by) {
		sev = Note
	}
	a.finding(e, sev, "nullified by operation %s, signed by %s at %s", by.CID, by.Signer, stamp(by.CreatedAt))
}

// nullifier finds the fork that nullified the run starting at top: the
// next operation with the same prev.
func (a *auditor) nullifier(top int) *Entry {
	prev := a.l.Entries[top].Prev
	for j := top + 1; j < len(a.l.Entries); j++ {
		if a.l.Entries[j].Prev == prev {
			return &a.l.Entries[j]
		}
	}
	return nil
}

// final reports the current state's risks.
func (a *auditor) final() {
	if a.l.Head < 0 || a.r.Owner == "" {
		return
	}
	head := a.l.Current()
	ks := head.Operation.EffectiveRotationKeys()
	switch i := slices.Index(ks, a.r.Owner); {
	case head.Operation.Type == plc.TypeTombstone:
	case i < 0:
		a.finding(head, Alert, "your key %s is not a rotation key of the DID now: you no longer control it unless you recover within the window", a.r.Owner)
	case i > 0:
		a.finding(head, Warning, "your key is rotation key %d now: %v can undo your changes within %s", i+1, ks[:i], plc.RecoveryWindow)
	}
}
