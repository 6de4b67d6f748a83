package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// countEvents counts the event rows.
func countEvents(t *testing.T, s *Store) int {
	t.Helper()
	evs, err := s.EventsAfter(t.Context(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestWriter_Batch(t *testing.T) {
	t.Run("failures roll back alone", func(t *testing.T) {
		s := openTemp(t)
		release := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // holds the writer so the others queue up
			defer wg.Done()
			s.write(context.Background(), func(*wconn) error { <-release; return nil })
		}()
		time.Sleep(20 * time.Millisecond)
		const n = 20
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.write(context.Background(), func(w *wconn) error {
					ev := store.Event{DID: syntax.DID(fmt.Sprint("did:plc:w", i)), Type: "identity", Body: []byte{1}}
					if _, err := w.appendEvent(ev, ev.DID); err != nil {
						return err
					}
					if i%2 == 1 {
						return errors.New("second thoughts")
					}
					return nil
				})
			}()
		}
		time.Sleep(50 * time.Millisecond)
		close(release)
		wg.Wait()
		for i, err := range errs {
			if (err != nil) != (i%2 == 1) {
				t.Fatalf("write %d: %v", i, err)
			}
		}
		evs, err := s.EventsAfter(t.Context(), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			if e.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d: failed writes left a gap", i, e.Seq)
			}
		}
		if len(evs) != n/2 {
			t.Fatalf("%d events, want %d", len(evs), n/2)
		}
		s.Close()
		if s.w.largest < 2 {
			t.Fatalf("largest batch %d: writes were not grouped", s.w.largest)
		}
	})
}

func TestWriter_Panic(t *testing.T) {
	s := openTemp(t)
	err := s.write(t.Context(), func(w *wconn) error {
		if _, err := w.appendEvent(store.Event{DID: "did:plc:p", Type: "identity"}, "did:plc:p"); err != nil {
			return err
		}
		panic("boom")
	})
	if err == nil {
		t.Fatal("a panicking write succeeded")
	}
	if _, err := s.AppendEvent(t.Context(), store.Event{DID: "did:plc:p", Type: "identity"}); err != nil {
		t.Fatalf("write after a panic: %v", err)
	}
	if n := countEvents(t, s); n != 1 {
		t.Fatalf("%d events, want only the one after the panic", n)
	}
}

func TestWriter_Canceled(t *testing.T) {
	s := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.AppendEvent(ctx, store.Event{DID: "did:plc:c", Type: "identity"}); err == nil {
		t.Fatal("write with a canceled context succeeded")
	}
	if n := countEvents(t, s); n != 0 {
		t.Fatalf("%d events after a canceled write", n)
	}
}

func TestStore_Close(t *testing.T) {
	s := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err := s.Account(t.Context(), "did:plc:x")
	var e *rhizome.Error
	if !errors.As(err, &e) || e.Op == "" {
		t.Fatalf("call after Close: %v, want a *rhizome.Error with an op", err)
	}
}
