package crash

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"syscall"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// writer issues writes on the keys it owns until told to stop or until a
// request's outcome is unknown (the pod died under it).
type writer struct {
	id, cycle int
	rng       *rand.Rand
	c         *client
	accts     []account
	pools     [numAccounts][]recKey
	view      map[recKey]string // current state of the writer's own keys
	ops       []*op
	n         int
}

func newWriter(m *model, id, cycle int, seed int64, c *client, accts []account) *writer {
	w := &writer{id: id, cycle: cycle, rng: rand.New(rand.NewSource(seed)), c: c, accts: accts,
		pools: m.pools[id], view: map[recKey]string{}}
	for a := range numAccounts {
		w.pools[a] = slices.Clone(w.pools[a])
		for _, k := range w.pools[a] {
			w.view[k] = m.state[k]
		}
	}
	return w
}

func (w *writer) run(ctx context.Context, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		o := w.next()
		w.send(ctx, o)
		w.ops = append(w.ops, o)
		switch o.outcome {
		case unknown, refused:
			return
		case acked:
			w.applyAcked(o)
		}
	}
}

// next picks a random write on the writer's keys of a random account.
func (w *writer) next() *op {
	w.n++
	o := &op{id: fmt.Sprintf("c%d-w%d-%d", w.cycle, w.id, w.n), acct: w.rng.Intn(numAccounts)}
	switch r := w.rng.Intn(10); {
	case r < 2:
		w.batch(o)
	case r == 2 && w.tidKeys(o.acct) < maxTIDKeys:
		w.createTID(o)
	default:
		w.single(o)
	}
	return o
}

func (w *writer) tidKeys(acct int) int {
	return len(w.pools[acct]) - baseKeys
}

func (w *writer) repo(o *op) string { return w.accts[o.acct].did }

// createTID is a createRecord that lets the pod pick the key.
func (w *writer) createTID(o *op) {
	coll := collections[w.rng.Intn(len(collections))]
	rec, c := record(w.rng, coll, o.id, w.n)
	o.nsid = "com.atproto.repo.createRecord"
	o.body = map[string]any{"repo": w.repo(o), "collection": coll, "record": rec}
	o.changes = []change{{key: recKey{o.acct, coll + "/"}, cid: c}}
}

// single is one createRecord, putRecord or deleteRecord on an owned key.
func (w *writer) single(o *op) {
	pool := w.pools[o.acct]
	k := pool[w.rng.Intn(len(pool))]
	coll, rkey := k.split()
	prev := w.view[k]
	o.body = map[string]any{"repo": w.repo(o), "collection": coll, "rkey": rkey}
	ch := change{key: k, prev: prev}
	switch {
	case prev != "" && w.rng.Intn(5) < 2:
		o.nsid = "com.atproto.repo.deleteRecord"
	case prev == "" && w.rng.Intn(2) == 0:
		o.nsid = "com.atproto.repo.createRecord"
	default:
		o.nsid = "com.atproto.repo.putRecord"
	}
	if o.nsid != "com.atproto.repo.deleteRecord" {
		o.body["record"], ch.cid = record(w.rng, coll, o.id, w.n)
	}
	o.changes = []change{ch}
}

// batch is an applyWrites of 2 to 5 writes on distinct owned keys.
func (w *writer) batch(o *op) {
	pool := w.pools[o.acct]
	perm := w.rng.Perm(len(pool))
	n := min(len(pool), 2+w.rng.Intn(4))
	var writes []any
	for _, i := range perm[:n] {
		k := pool[i]
		coll, rkey := k.split()
		ch := change{key: k, prev: w.view[k]}
		wr := map[string]any{"collection": coll, "rkey": rkey}
		switch {
		case ch.prev == "":
			wr["$type"] = "com.atproto.repo.applyWrites#create"
		case w.rng.Intn(2) == 0:
			wr["$type"] = "com.atproto.repo.applyWrites#delete"
		default:
			wr["$type"] = "com.atproto.repo.applyWrites#update"
		}
		if wr["$type"] != "com.atproto.repo.applyWrites#delete" {
			wr["value"], ch.cid = record(w.rng, coll, o.id, w.n*100+i)
		}
		writes = append(writes, wr)
		o.changes = append(o.changes, ch)
	}
	o.nsid = "com.atproto.repo.applyWrites"
	o.body = map[string]any{"repo": w.repo(o), "writes": writes}
}

func (w *writer) send(ctx context.Context, o *op) {
	o.reply, o.err = w.c.Post(ctx, o.nsid, w.accts[o.acct].access, o.body)
	switch {
	case errors.Is(o.err, syscall.ECONNREFUSED):
		o.outcome = refused
	case o.err != nil:
		o.outcome = unknown
	case o.reply.OK():
		o.outcome = acked
	default:
		o.outcome = rejected
	}
}

// applyAcked moves the writer's view past an acknowledged op, learning the
// key of a pod-chosen create and checking the CIDs the pod reports.
func (w *writer) applyAcked(o *op) {
	got, err := ackedCIDs(o)
	if err != nil {
		o.err = err
		return
	}
	for i := range o.changes {
		ch := &o.changes[i]
		if strings.HasSuffix(ch.key.path, "/") {
			ch.key.path = got[i].path
			w.pools[o.acct] = append(w.pools[o.acct], ch.key)
		}
		if got[i].cid != ch.cid {
			o.err = fmt.Errorf("pod acknowledged %s as %s, want %s", ch.key.path, got[i].cid, ch.cid)
		}
		w.view[ch.key] = ch.cid
	}
}

type ackedRecord struct{ path, cid string }

// ackedCIDs reads the record paths and CIDs from an acknowledgement.
func ackedCIDs(o *op) ([]ackedRecord, error) {
	type result struct{ URI, CID string }
	var out struct {
		URI, CID string
		Results  []result
	}
	if err := json.Unmarshal(o.reply.Body, &out); err != nil {
		return nil, fmt.Errorf("decode acknowledgement: %w", err)
	}
	res := out.Results
	switch o.nsid {
	case "com.atproto.repo.applyWrites":
	case "com.atproto.repo.deleteRecord":
		res = []result{{}}
	default:
		res = []result{{URI: out.URI, CID: out.CID}}
	}
	if len(res) != len(o.changes) {
		return nil, fmt.Errorf("acknowledgement has %d results for %d writes", len(res), len(o.changes))
	}
	got := make([]ackedRecord, len(res))
	for i, r := range res {
		got[i] = ackedRecord{path: podtest.URIPath(r.URI), cid: r.CID}
	}
	return got, nil
}
