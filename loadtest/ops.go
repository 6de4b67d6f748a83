package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rhizome-pds/rhizome/syntax"
)

// Collections the bench writes.
const (
	postCollection = "app.bsky.feed.post"
	itemCollection = "com.example.bench.item"
	applyBatch     = 10 // creates per applyWrites call of the apply phase
	listLimit      = 100
)

// recordRef names a record written by the create phase.
type recordRef struct {
	did  syntax.DID
	rkey syntax.RecordKey
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

func post(i int) map[string]any {
	return map[string]any{"$type": postCollection, "text": fmt.Sprintf("bench post %d %s", i, randomID(8)), "createdAt": now()}
}

func item(n int) map[string]any {
	return map[string]any{"$type": itemCollection, "n": n, "text": fmt.Sprintf("item %d %s", n, randomID(12)), "createdAt": now()}
}

// createPhase: createRecord of a post into the client's repository.
func (r *runner) createPhase(ctx context.Context, _ *Report) (Phase, error) {
	return r.runPhase(ctx, "createRecord", r.cfg.Ops, func(ctx context.Context, w, i int) error {
		a := r.acct(w)
		var out struct {
			URI syntax.ATURI `json:"uri"`
		}
		err := r.c.json(ctx, request{method: http.MethodPost, nsid: "com.atproto.repo.createRecord", token: a.Token,
			body: map[string]any{"repo": a.DID, "collection": postCollection, "record": post(i)}}, &out)
		if err == nil && i >= 0 {
			r.mu.Lock()
			r.created = append(r.created, recordRef{a.DID, out.URI.RecordKey()})
			r.mu.Unlock()
		}
		return err
	})
}

// getPhase: unauthenticated getRecord of random records of the create phase.
func (r *runner) getPhase(ctx context.Context, _ *Report) (Phase, error) {
	return r.runPhase(ctx, "getRecord", r.cfg.Ops, func(ctx context.Context, _, _ int) error {
		if len(r.created) == 0 {
			return fmt.Errorf("getRecord: the create phase made no records")
		}
		ref := r.created[rand.IntN(len(r.created))]
		q := url.Values{"repo": {string(ref.did)}, "collection": {postCollection}, "rkey": {string(ref.rkey)}}
		_, err := r.c.do(ctx, request{method: http.MethodGet, nsid: "com.atproto.repo.getRecord", params: q})
		return err
	})
}

// listPhase: the first page of 100 posts of a random bench repository. A
// page shorter than the create phase can explain is an error.
func (r *runner) listPhase(ctx context.Context, _ *Report) (Phase, error) {
	want := 0
	if r.cfg.has(PhaseCreate) {
		want = min(listLimit, (r.cfg.Ops+r.cfg.Warmup)/len(r.accounts)) - 1
	}
	return r.runPhase(ctx, "listRecords(100)", r.cfg.Ops, func(ctx context.Context, _, _ int) error {
		a := r.accounts[rand.IntN(len(r.accounts))]
		q := url.Values{"repo": {string(a.DID)}, "collection": {postCollection}, "limit": {strconv.Itoa(listLimit)}}
		body, err := r.c.do(ctx, request{method: http.MethodGet, nsid: "com.atproto.repo.listRecords", params: q})
		if err != nil {
			return err
		}
		n, err := countRecords(body)
		if err == nil && n < want {
			err = fmt.Errorf("listRecords returned %d records, want at least %d", n, want)
		}
		return err
	})
}

// applyPhase: applyWrites of 10 post creates into the client's repository.
func (r *runner) applyPhase(ctx context.Context, _ *Report) (Phase, error) {
	name := fmt.Sprintf("applyWrites(%d)", applyBatch)
	return r.runPhase(ctx, name, r.cfg.Ops, func(ctx context.Context, w, i int) error {
		a := r.acct(w)
		writes := make([]any, applyBatch)
		for k := range writes {
			writes[k] = map[string]any{"$type": "com.atproto.repo.applyWrites#create", "collection": postCollection, "value": post(i)}
		}
		_, err := r.c.do(ctx, request{method: http.MethodPost, nsid: "com.atproto.repo.applyWrites", token: a.Token,
			body: map[string]any{"repo": a.DID, "writes": writes}})
		return err
	})
}
