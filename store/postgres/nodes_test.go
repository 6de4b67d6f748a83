package postgres

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// openNodes opens two stores on one fresh schema, as two pod processes
// sharing a database would.
func openNodes(t *testing.T) [2]*Store {
	url := freshSchema(t)
	return [2]*Store{openURL(t, url), openURL(t, url)}
}

func TestStore_TwoNodes(t *testing.T) {
	t.Run("racing commits from one prev: one wins", racingNodes)
	t.Run("seqs gap-free and visible in order", orderedSeqs)
}

// racingNodes races, round after round, three writers on each node
// applying different commits from the same prev of one repository.
func racingNodes(t *testing.T) {
	nodes := openNodes(t)
	r := &benchRepo{did: "did:plc:racingnodes"}
	if _, err := nodes[0].ApplyCommit(t.Context(), r.next(t, 1)); err != nil {
		t.Fatal(err)
	}
	const rounds, perNode = 15, 3
	for round := range rounds {
		commits := make([]store.Commit, 2*perNode)
		for i := range commits {
			racer := *r
			racer.salt = fmt.Sprint(" racer ", round, i)
			commits[i] = racer.next(t, 1)
		}
		errs := make([]error, len(commits))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, c := range commits {
			wg.Go(func() {
				<-start
				_, errs[i] = nodes[i%2].ApplyCommit(t.Context(), c)
			})
		}
		close(start)
		wg.Wait()
		winner := raceWinner(t, errs)
		for _, n := range nodes {
			head, err := n.Head(t.Context(), r.did)
			if err != nil || head != commits[winner].Head {
				t.Fatalf("round %d: head %+v (%v), want the winner's %+v", round, head, err, commits[winner].Head)
			}
		}
		r.prev, r.n = commits[winner].Head.Commit, r.n+1
	}
}

// raceWinner checks that exactly one of errs is nil and the others are
// Conflicts, and returns the winner.
func raceWinner(t *testing.T, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("racers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !rhizome.Is(err, rhizome.Conflict):
			t.Fatalf("racer %d: %v, want a Conflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no racer won")
	}
	return winner
}

// orderedSeqs appends events and applies commits from writers on both
// nodes while a reader on each node follows the log: every event a reader
// gets must be the one after its cursor (a gap it saw would be an event it
// skips for good), and all seqs together must be consecutive.
func orderedSeqs(t *testing.T) {
	nodes := openNodes(t)
	const writers, each = 6, 25
	var mu sync.Mutex
	var seqs []int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			got, err := writeEvents(t, nodes[w%2], w, each)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			seqs = append(seqs, got...)
			mu.Unlock()
		})
	}
	readers := make(chan []int64, 2)
	for _, n := range nodes {
		go func() { readers <- follow(t, n, writers*each) }()
	}
	wg.Wait()
	slices.Sort(seqs)
	for i := range seqs {
		if seqs[i] != seqs[0]+int64(i) {
			t.Fatalf("sequence numbers are not consecutive: %v", seqs)
		}
	}
	for range nodes {
		if seen := <-readers; !slices.Equal(seen, seqs) {
			t.Fatalf("a reader saw %d events %v, want %v", len(seen), seen, seqs)
		}
	}
}

// writeEvents makes n events from writer w: even writers append events,
// odd ones apply commits with events to a repository of their own.
func writeEvents(t *testing.T, s *Store, w, n int) ([]int64, error) {
	did := syntax.DID(fmt.Sprintf("did:plc:writer%d", w))
	r := &benchRepo{did: did}
	var out []int64
	for range n {
		var seq int64
		var err error
		if w%2 == 0 {
			seq, err = s.AppendEvent(t.Context(), store.Event{DID: did, Type: "identity", Time: store.Now(), Body: []byte{1}})
		} else {
			seq, err = s.ApplyCommit(t.Context(), r.next(t, 1))
		}
		if err != nil {
			return out, err
		}
		out = append(out, seq)
	}
	return out, nil
}

// follow reads the log from the start until it has seen want events or
// 30 s have passed, failing the test if an event is not the one after the
// previous, and returns the seqs seen.
func follow(t *testing.T, s *Store, want int) []int64 {
	var seen []int64
	var cursor int64
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < want && time.Now().Before(deadline) {
		evs, err := s.EventsAfter(t.Context(), cursor, 7)
		if err != nil {
			t.Error(err)
			return seen
		}
		for _, e := range evs {
			if cursor > 0 && e.Seq != cursor+1 {
				t.Errorf("reader at seq %d got seq %d: events were visible out of order", cursor, e.Seq)
				return seen
			}
			cursor = e.Seq
			seen = append(seen, e.Seq)
		}
	}
	return seen
}
