package firehose

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const numAccounts = 3

// TestFirehose_VerifiesLive follows the stream from the first event while
// writers on several accounts make random writes in parallel (10,000
// write requests, RHIZOME_FIREHOSE_WRITES, about four record operations
// each), and checks
// every event as it arrives (see checker). At the end, the record set each
// repository's ops imply must equal both what the writers were told and
// what listRecords shows, every acknowledged commit must have been on the
// stream with the acknowledged rev, and the load must have made deep trees
// and deleted keys above the MST's bottom layer.
func TestFirehose_VerifiesLive(t *testing.T) {
	total := int(envInt(t, "RHIZOME_FIREHOSE_WRITES", 10000))
	seed := testSeed(t)
	p := newPod(t)
	c := newClient(p)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	s, _, err := subscribe(ctx, p.Addr, "0")
	if err != nil {
		t.Fatal(err)
	}
	chk := newChecker(newDirectory(p), 0)
	f := follow(ctx, s, func(e *event) error { return chk.check(ctx, e) })
	defer f.stop()

	start := time.Now()
	ws := runWriters(t, ctx, c, seed, "live", total)
	wrote := time.Since(start)
	latest := map[string]head{}
	for _, w := range ws {
		latest[w.acct.did] = latestCommit(t, c, w.acct.did)
	}
	f.wait(t, time.Minute, "the stream to reach every repository's head", func() bool {
		for did, h := range latest {
			if ch := chk.repos[did]; ch == nil || ch.rev != h.Rev {
				return false
			}
		}
		return true
	})
	if err := f.stop(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	st := chk.stats
	t.Logf("%d record ops in %d commits (%d creates, %d updates, %d deletes, up to %d ops a commit) written in %v; stream checked %v after the start",
		st.ops(), st.commits, st.creates, st.updates, st.deletes, st.maxOps, wrote.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	t.Logf("MST: highest key layer created %d; %d deletes of keys above layer 0", st.maxHeight, st.highDeletes)

	for _, w := range ws {
		checkRepoEnd(t, c, chk, w, latest[w.acct.did])
	}
	checkLoad(t, chk.stats, total)
}

// runWriters creates the accounts and runs one writer per account in
// parallel until they have made total write requests between them.
func runWriters(t *testing.T, ctx context.Context, c *client, seed int64, prefix string, total int) []*writer {
	t.Helper()
	var accts []account
	for i := range numAccounts {
		accts = append(accts, createAccount(t, c, fmt.Sprintf("%s%d", prefix, i)))
	}
	ws, wait := startWriters(ctx, c, accts, seed, total)
	for _, err := range wait() {
		if err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

// startWriters starts one writer per account; wait waits for them and
// returns their errors.
func startWriters(ctx context.Context, c *client, accts []account, seed int64, total int) (ws []*writer, wait func() []error) {
	for i, a := range accts {
		ws = append(ws, newWriter(seed+int64(i), c, a, (total+len(accts)-1)/len(accts)))
	}
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() { errs[i] = w.run(ctx) })
	}
	return ws, func() []error { wg.Wait(); return errs }
}

// checkRepoEnd compares one repository's record set three ways (stream,
// acknowledgements, listRecords) and requires every acknowledged commit
// to have been streamed.
func checkRepoEnd(t *testing.T, c *client, chk *checker, w *writer, latest head) {
	t.Helper()
	did := w.acct.did
	ch := chk.repos[did]
	if ch == nil || ch.records == nil {
		t.Fatalf("the stream has no record set for %s", did)
	}
	listed := listAll(t, c, did)
	if !maps.Equal(ch.records, listed) {
		t.Errorf("%s: the stream's ops and listRecords disagree:\n%s", did, diffMaps("stream", ch.records, "listRecords", listed))
	}
	if !maps.Equal(ch.records, w.records) {
		t.Errorf("%s: the stream's ops and the acknowledgements disagree:\n%s", did, diffMaps("stream", ch.records, "acks", w.records))
	}
	if len(listed) == 0 {
		t.Errorf("%s: the repository is empty at the end", did)
	}
	missing := 0
	for cid, rev := range w.acked {
		if got, ok := chk.acked[cid]; !ok || got != rev {
			missing++
			if missing <= 5 {
				t.Errorf("%s: acknowledged commit %s rev %s was not streamed (stream: %q)", did, cid, rev, got)
			}
		}
	}
	if _, ok := chk.acked[latest.CID]; !ok {
		t.Errorf("%s: head commit %s is not on the stream", did, latest.CID)
	}
	t.Logf("%s: %d records at rev %s after %d requests", w.acct.handle, len(listed), latest.Rev, w.req)
}

// checkLoad requires the load to have exercised what the test is about.
func checkLoad(t *testing.T, st checkStats, total int) {
	t.Helper()
	switch {
	case st.commits < total || st.ops() < total:
		t.Errorf("only %d commits with %d record ops were streamed; want at least %d of each", st.commits, st.ops(), total)
	case st.maxHeight < 3:
		t.Errorf("no key above MST layer %d was created: the trees stayed shallow", st.maxHeight)
	case st.highDeletes == 0:
		t.Errorf("no key above MST layer 0 was deleted: no node merges were tested")
	case st.maxOps < 10:
		t.Errorf("the largest commit had %d ops", st.maxOps)
	}
}

// diffMaps lists the keys on which two maps differ (at most 20).
func diffMaps(an string, a map[string]string, bn string, b map[string]string) string {
	keys := slices.Sorted(maps.Keys(a))
	keys = slices.Compact(slices.Sorted(slices.Values(append(keys, slices.Collect(maps.Keys(b))...))))
	var sb strings.Builder
	n := 0
	for _, k := range keys {
		if a[k] != b[k] {
			if n++; n <= 20 {
				fmt.Fprintf(&sb, "  %s: %s=%q %s=%q\n", k, an, a[k], bn, b[k])
			}
		}
	}
	fmt.Fprintf(&sb, "  (%d keys differ; %d vs %d records)", n, len(a), len(b))
	return sb.String()
}
