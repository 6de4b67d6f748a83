package firehose

import (
	"context"
	"fmt"
	"math/rand"
	"strings"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

var collections = []string{"com.example.firehose.post", "com.example.firehose.like", "com.example.firehose.note"}

// writer makes random writes to one account: creates (with its own record
// keys or keys the pod picks), updates and deletes, alone or in
// applyWrites batches of up to 20. The repository grows to peak records,
// shrinks to a fifth of that (deletes merging MST nodes), and grows again,
// until budget write requests have been made. Its view of the records is
// built from the pod's acknowledgements.
type writer struct {
	rng      *rand.Rand
	c        *client
	acct     account
	budget   int
	peak     int
	shrink   bool
	keys     []string       // paths that exist
	index    map[string]int // path → position in keys
	records  map[string]string
	acked    map[string]string // commit CID → rev from acknowledgements
	ops, req int               // record operations and requests made
	n        int               // records written, to make each value distinct
}

func newWriter(seed int64, c *client, a account, budget int) *writer {
	return &writer{rng: rand.New(rand.NewSource(seed)), c: c, acct: a, budget: budget, peak: max(40, budget/3),
		index: map[string]int{}, records: map[string]string{}, acked: map[string]string{}}
}

// run writes until the budget is spent, ctx ends or a write fails.
func (w *writer) run(ctx context.Context) error {
	for w.req < w.budget && ctx.Err() == nil {
		if err := w.step(ctx); err != nil {
			return fmt.Errorf("writer of %s after %d requests: %w", w.acct.handle, w.req, err)
		}
	}
	return nil
}

// step makes one request.
func (w *writer) step(ctx context.Context) error {
	switch {
	case len(w.keys) >= w.peak:
		w.shrink = true
	case len(w.keys) <= w.peak/5:
		w.shrink = false
	}
	w.req++
	if w.rng.Intn(100) < 35 {
		return w.batch(ctx, 1+w.rng.Intn(20))
	}
	w.ops++
	switch w.action() {
	case "create":
		return w.create(ctx)
	case "update":
		return w.put(ctx, w.keys[w.rng.Intn(len(w.keys))])
	}
	return w.delete(ctx, w.keys[w.rng.Intn(len(w.keys))])
}

// action picks create, update or delete by the phase.
func (w *writer) action() string {
	r := w.rng.Intn(100)
	switch {
	case len(w.keys) == 0:
		return "create"
	case w.shrink && r < 70, !w.shrink && r < 15:
		return "delete"
	case r < 85:
		return "create"
	}
	return "update"
}

// value is a fresh record for a collection.
func (w *writer) value(coll string) map[string]any {
	w.n++
	const alphabet = "abcdefghijklmnopqrstuvwxyz "
	var sb strings.Builder
	for range 10 + w.rng.Intn(50) {
		sb.WriteByte(alphabet[w.rng.Intn(len(alphabet))])
	}
	return map[string]any{"$type": coll, "n": w.n, "text": sb.String()}
}

// newPath is a fresh collection/rkey, the rkey "" when the pod is to pick.
func (w *writer) newPath() (coll, rkey string) {
	coll = collections[w.rng.Intn(len(collections))]
	if w.rng.Intn(5) == 0 {
		return coll, ""
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, 6+w.rng.Intn(8))
	for i := range b {
		b[i] = alphabet[w.rng.Intn(len(alphabet))]
	}
	return coll, string(b)
}

// writeOut is the output of createRecord, putRecord and deleteRecord.
type writeOut struct {
	URI, CID string
	Commit   *head
}

func (w *writer) create(ctx context.Context) error {
	coll, rkey := w.newPath()
	for w.taken(nil, coll+"/"+rkey) {
		coll, rkey = w.newPath()
	}
	in := map[string]any{"repo": w.acct.did, "collection": coll, "record": w.value(coll)}
	nsid := "com.atproto.repo.createRecord"
	if rkey != "" {
		in["rkey"] = rkey
		if w.rng.Intn(2) == 0 {
			nsid = "com.atproto.repo.putRecord" // an upsert that creates
		}
	}
	return w.single(ctx, nsid, in, "")
}

func (w *writer) put(ctx context.Context, path string) error {
	coll, rkey, _ := strings.Cut(path, "/")
	in := map[string]any{"repo": w.acct.did, "collection": coll, "rkey": rkey, "record": w.value(coll)}
	return w.single(ctx, "com.atproto.repo.putRecord", in, path)
}

func (w *writer) delete(ctx context.Context, path string) error {
	coll, rkey, _ := strings.Cut(path, "/")
	in := map[string]any{"repo": w.acct.did, "collection": coll, "rkey": rkey}
	return w.single(ctx, "com.atproto.repo.deleteRecord", in, path)
}

// single sends one write and moves the view on by its acknowledgement.
func (w *writer) single(ctx context.Context, nsid string, in map[string]any, path string) error {
	var out writeOut
	if err := w.c.Call(ctx, nsid, w.acct.access, in, &out); err != nil {
		return err
	}
	if err := w.commitAcked(out.Commit); err != nil {
		return fmt.Errorf("%s: %w", nsid, err)
	}
	if nsid == "com.atproto.repo.deleteRecord" {
		w.set(path, "")
		return nil
	}
	if out.CID == "" || podtest.URIPath(out.URI) == "" {
		return fmt.Errorf("%s: acknowledgement lacks uri or cid: %+v", nsid, out)
	}
	w.set(podtest.URIPath(out.URI), out.CID)
	return nil
}

// batch sends an applyWrites of n writes on distinct records.
func (w *writer) batch(ctx context.Context, n int) error {
	var writes []map[string]any
	var paths []string
	used := map[string]bool{}
	existing := 0 // existing records the batch writes
	for range n {
		act := w.action()
		if act != "create" && existing == len(w.keys) {
			act = "create"
		}
		if act != "create" {
			existing++
		}
		wr, path := w.batchWrite(act, used)
		writes, paths = append(writes, wr), append(paths, path)
	}
	var out struct {
		Results []struct{ URI, CID string }
		Commit  *head
	}
	in := map[string]any{"repo": w.acct.did, "writes": writes}
	if err := w.c.Call(ctx, "com.atproto.repo.applyWrites", w.acct.access, in, &out); err != nil {
		return err
	}
	if len(out.Results) != len(writes) {
		return fmt.Errorf("applyWrites: %d results for %d writes", len(out.Results), len(writes))
	}
	if err := w.commitAcked(out.Commit); err != nil {
		return fmt.Errorf("applyWrites: %w", err)
	}
	for i, r := range out.Results {
		if strings.HasSuffix(writes[i]["$type"].(string), "#delete") {
			w.set(paths[i], "")
		} else {
			w.set(podtest.URIPath(r.URI), r.CID)
		}
	}
	w.ops += n
	return nil
}

// batchWrite is one applyWrites entry on a record not used in the batch.
func (w *writer) batchWrite(act string, used map[string]bool) (map[string]any, string) {
	if act == "create" {
		coll, rkey := w.newPath()
		for w.taken(used, coll+"/"+rkey) {
			coll, rkey = w.newPath()
		}
		if rkey != "" {
			used[coll+"/"+rkey] = true
		}
		wr := map[string]any{"$type": "com.atproto.repo.applyWrites#create", "collection": coll, "value": w.value(coll)}
		if rkey != "" {
			wr["rkey"] = rkey
		}
		return wr, coll + "/" + rkey
	}
	path := w.keys[w.rng.Intn(len(w.keys))]
	for used[path] {
		path = w.keys[w.rng.Intn(len(w.keys))]
	}
	used[path] = true
	coll, rkey, _ := strings.Cut(path, "/")
	wr := map[string]any{"$type": "com.atproto.repo.applyWrites#" + act, "collection": coll, "rkey": rkey}
	if act == "update" {
		wr["value"] = w.value(coll)
	}
	return wr, path
}

// taken says whether a new path is already used in the batch or exists.
func (w *writer) taken(used map[string]bool, path string) bool {
	_, exists := w.index[path]
	return used[path] || exists
}

// commitAcked records the commit an acknowledgement names.
func (w *writer) commitAcked(c *head) error {
	if c == nil || c.CID == "" || c.Rev == "" {
		return fmt.Errorf("acknowledgement names no commit")
	}
	w.acked[c.CID] = c.Rev
	return nil
}

// set moves the view of one record: to cid, or away when cid is "".
func (w *writer) set(path, cid string) {
	i, exists := w.index[path]
	switch {
	case cid == "" && exists:
		last := w.keys[len(w.keys)-1]
		w.keys[i], w.index[last] = last, i
		w.keys = w.keys[:len(w.keys)-1]
		delete(w.index, path)
		delete(w.records, path)
	case cid != "":
		if !exists {
			w.index[path] = len(w.keys)
			w.keys = append(w.keys, path)
		}
		w.records[path] = cid
	}
}
