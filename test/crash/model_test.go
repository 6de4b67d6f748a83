package crash

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"

	"github.com/rhizome-pds/rhizome/data"
)

const (
	numWriters  = 4
	numAccounts = 3
	baseKeys    = 6 // fixed record keys per writer and account
	maxTIDKeys  = 4 // pod-chosen (TID) keys a writer keeps per account
)

var collections = []string{"com.example.crash.alpha", "com.example.crash.beta"}

// recKey names a record: the account's index and collection/rkey.
type recKey struct {
	acct int
	path string
}

func (k recKey) split() (coll, rkey string) {
	coll, rkey, _ = strings.Cut(k.path, "/")
	return coll, rkey
}

// model is what the test knows the repositories hold between kill
// cycles: the CID of every record a writer has touched ("" when absent),
// and which keys each writer owns. A key has one owner, so its writes are
// ordered by that writer's program order.
type model struct {
	state map[recKey]string
	pools [numWriters][numAccounts][]recKey
}

func newModel() *model {
	m := &model{state: map[recKey]string{}}
	for w := range numWriters {
		for a := range numAccounts {
			for i := range baseKeys {
				k := recKey{a, fmt.Sprintf("%s/w%dk%d", collections[i%len(collections)], w, i)}
				m.pools[w][a] = append(m.pools[w][a], k)
				m.state[k] = ""
			}
		}
	}
	return m
}

// outcome is what a writer learnt about one request.
type outcome int

const (
	acked    outcome = iota // 2xx, whole response received
	unknown                 // connection cut: may or may not have happened
	rejected                // a whole non-2xx response: must not have happened
	refused                 // the connection was refused: never reached the pod
)

func (o outcome) String() string { return [...]string{"acked", "unknown", "rejected", "refused"}[o] }

// change is one record a write sets: to cid, or away ("") for a delete.
// A create with a pod-chosen key has a path of "collection/" until acked.
type change struct {
	key  recKey
	prev string
	cid  string
}

// op is one request a writer made.
type op struct {
	id      string
	nsid    string
	acct    int
	body    map[string]any
	changes []change
	outcome outcome
	reply   reply
	err     error
}

func (o *op) String() string {
	return fmt.Sprintf("%s %s acct=%d %s changes=%v reply=%s err=%v", o.id, o.nsid, o.acct, o.outcome, o.changes, o.reply, o.err)
}

// record returns a fresh record value for coll and its CID as the pod must
// compute it (the value goes through the same JSON-to-DRISL mapping).
func record(rng *rand.Rand, coll, id string, n int) (map[string]any, string) {
	size := 8 + rng.Intn(120)
	if rng.Intn(8) == 0 {
		size = 2000 + rng.Intn(6000)
	}
	v := map[string]any{"$type": coll, "op": id, "n": n, "text": randText(rng, size)}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	m, err := data.UnmarshalJSONObject(b)
	if err != nil {
		panic(err)
	}
	c, err := data.CID(m)
	if err != nil {
		panic(err)
	}
	return v, c.String()
}

func randText(rng *rand.Rand, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ñ€"
	r := []rune(alphabet)
	var b strings.Builder
	for range n {
		b.WriteRune(r[rng.Intn(len(r))])
	}
	return b.String()
}
