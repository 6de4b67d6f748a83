package crash

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// expectation is what one cycle's ops allow each record to hold after the
// restart. Keys a cycle did not touch keep their model state.
type expectation struct {
	m       *model
	allowed map[recKey][]string
	touched map[recKey][]*op
	groups  []*op    // in-flight batches: all their writes or none
	orphans []orphan // in-flight creates whose key the pod was to pick
	unknown []*op
}

// orphan is an in-flight create without a key: if a record with its CID
// shows up in its collection, the create happened.
type orphan struct {
	writer, acct int
	coll, cid    string
}

func (e *expectation) cur(k recKey) []string {
	if a, ok := e.allowed[k]; ok {
		return a
	}
	return []string{e.m.state[k]}
}

// expect replays each writer's ops in its program order. An acknowledged
// write fixes its records; an in-flight one adds its outcome as a second
// possibility; a rejected valid write is an error.
func expect(t testing.TB, m *model, ws []*writer) *expectation {
	t.Helper()
	e := &expectation{m: m, allowed: map[recKey][]string{}, touched: map[recKey][]*op{}}
	for _, w := range ws {
		for _, o := range w.ops {
			e.add(t, w.id, o)
		}
	}
	return e
}

func (e *expectation) add(t testing.TB, writer int, o *op) {
	t.Helper()
	switch o.outcome {
	case rejected:
		t.Errorf("the pod rejected a valid write: %v", o)
		return
	case refused:
		return
	case acked:
		if o.err != nil {
			t.Errorf("bad acknowledgement: %v", o)
		}
	case unknown:
		e.unknown = append(e.unknown, o)
		if ch := o.changes[0]; strings.HasSuffix(ch.key.path, "/") {
			e.orphans = append(e.orphans, orphan{writer, o.acct, strings.TrimSuffix(ch.key.path, "/"), ch.cid})
			return
		}
		if len(o.changes) > 1 {
			e.groups = append(e.groups, o)
		}
	}
	for _, ch := range o.changes {
		e.touched[ch.key] = append(e.touched[ch.key], o)
		if o.outcome == acked {
			e.allowed[ch.key] = []string{ch.cid}
		} else {
			e.allowed[ch.key] = append(slices.Clone(e.cur(ch.key)), ch.cid)
		}
	}
}

// keys is every record the model knows of, old or new this cycle.
func (e *expectation) keys() []recKey {
	var ks []recKey
	for k := range e.m.state {
		ks = append(ks, k)
	}
	for k := range e.allowed {
		if _, ok := e.m.state[k]; !ok {
			ks = append(ks, k)
		}
	}
	return ks
}

// check compares the restarted pod's repositories with the expectation,
// through the trees and through getRecord.
func (e *expectation) check(t testing.TB, c *client, accts []account, views []repoView) {
	t.Helper()
	for _, k := range e.keys() {
		obs := views[k.acct].records[k.path]
		if allowed := e.cur(k); !slices.Contains(allowed, obs) {
			t.Errorf("%s %s is %s after restart; allowed: %v\n  writes: %v", accts[k.acct].handle, k.path, orAbsent(obs), allowed, e.touched[k])
		}
		if got := getRecordCID(t, c, accts[k.acct].did, k.path); got != obs {
			t.Errorf("getRecord %s %s = %s; the committed tree has %s", accts[k.acct].handle, k.path, orAbsent(got), orAbsent(obs))
		}
	}
	for _, o := range e.groups {
		checkAllOrNothing(t, o, views[o.acct])
	}
}

// checkAllOrNothing requires an in-flight batch to have applied wholly or
// not at all.
func checkAllOrNothing(t testing.TB, o *op, v repoView) {
	t.Helper()
	applied := 0
	for _, ch := range o.changes {
		if v.records[ch.key.path] == ch.cid {
			applied++
		}
	}
	if applied != 0 && applied != len(o.changes) {
		t.Errorf("half of a batch is visible (%d of %d writes): %v", applied, len(o.changes), o)
	}
}

// update moves the model to what the pod now holds: the observed state of
// every key, the keys writers learnt, and in-flight creates that landed.
// Unexplained records are errors.
func (e *expectation) update(t testing.TB, ws []*writer, accts []account, views []repoView) {
	t.Helper()
	for _, w := range ws {
		for a := range numAccounts {
			e.m.pools[w.id][a] = slices.Clone(w.pools[a])
		}
	}
	for _, k := range e.keys() {
		e.m.state[k] = views[k.acct].records[k.path]
	}
	for a, v := range views {
		for path, c := range v.records {
			if _, ok := e.m.state[recKey{a, path}]; !ok {
				e.adopt(t, accts[a], a, path, c)
			}
		}
	}
	e.m.prune()
}

// adopt takes a record the model did not expect as the landing of an
// in-flight create, or reports it.
func (e *expectation) adopt(t testing.TB, acct account, a int, path, c string) {
	t.Helper()
	coll, _, _ := strings.Cut(path, "/")
	for i, o := range e.orphans {
		if o.acct == a && o.coll == coll && o.cid == c {
			k := recKey{a, path}
			e.m.state[k] = c
			e.m.pools[o.writer][a] = append(e.m.pools[o.writer][a], k)
			e.orphans = slices.Delete(e.orphans, i, i+1)
			return
		}
	}
	t.Errorf("%s holds %s (%s), which no acknowledged or in-flight write made", acct.handle, path, c)
}

// prune forgets absent records under pod-chosen keys, so the key space
// stays small.
func (m *model) prune() {
	for w := range numWriters {
		for a := range numAccounts {
			pool := m.pools[w][a]
			kept := pool[:baseKeys:baseKeys]
			for _, k := range pool[baseKeys:] {
				if m.state[k] != "" {
					kept = append(kept, k)
				} else {
					delete(m.state, k)
				}
			}
			m.pools[w][a] = kept
		}
	}
}

// landed counts in-flight ops whose writes are visible.
func (e *expectation) landed(views []repoView) (n int) {
	for _, o := range e.unknown {
		ch := o.changes[0]
		if strings.HasSuffix(ch.key.path, "/") {
			continue // counted through adoption
		}
		if views[o.acct].records[ch.key.path] == ch.cid {
			n++
		}
	}
	return n
}

func (o orphan) String() string { return fmt.Sprintf("%d/%s/%s", o.acct, o.coll, o.cid) }
