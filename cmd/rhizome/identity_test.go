package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
)

func TestIDFlags_Parse(t *testing.T) {
	f := newIDFlags("show")
	pos, err := f.parse([]string{"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "--json", "--plc", "http://127.0.0.1:1", "extra"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pos) != 2 || pos[0] != "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa" || pos[1] != "extra" || !f.json || f.plc != "http://127.0.0.1:1" {
		t.Fatalf("positional %v, json %t, plc %q", pos, f.json, f.plc)
	}
	t.Run("one DID", func(t *testing.T) {
		if _, err := f.argDID(pos); !isUsage(err) {
			t.Fatalf("two positional DIDs: %v", err)
		}
		g := newIDFlags("show")
		if did, err := g.argDID([]string{"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"}); err != nil || did != "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa" {
			t.Fatalf("argDID: %s %v", did, err)
		}
		if _, err := newIDFlags("show").argDID([]string{"did:web:example.com"}); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("a did:web: %v", err)
		}
	})
	t.Run("unknown flag", func(t *testing.T) {
		if _, err := newIDFlags("show").parse([]string{"--nope"}); !isUsage(err) {
			t.Fatalf("got %v", err)
		}
	})
}

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

func TestRunIdentity_Usage(t *testing.T) {
	cases := map[string][]string{
		"unknown command":         {"frobnicate"},
		"create without a pod":    {"create", "--handle", "a.test", "--email", "a@example.test"},
		"set-pds without URL":     {"set-pds", "--did", "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"},
		"rotate without key":      {"rotate-signing-key", "--did", "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"},
		"recover with positional": {"recover", "x"},
		"change without did":      {"set-handle", "a.test"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			if err := runIdentity(context.Background(), args); !isUsage(err) {
				t.Fatalf("got %v; want a usage error", err)
			}
		})
	}
}

func TestReservedDir(t *testing.T) {
	r, err := newReservedDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const did = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
	if _, err := r.Reserved(context.Background(), did); !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("before: %v", err)
	}
	first, err := r.Reserve(context.Background(), did, []byte("sealed one"))
	if err != nil {
		t.Fatal(err)
	}
	second, _ := r.Reserve(context.Background(), did, []byte("sealed two"))
	if !bytes.Equal(first, second) || string(first) != "sealed one" {
		t.Fatalf("a second reservation replaced the first: %q %q", first, second)
	}
	if err := r.Release(context.Background(), did); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reserved(context.Background(), did); !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("after release: %v", err)
	}
}

func TestPhraseBlock(t *testing.T) {
	words := strings.Fields(strings.Repeat("abandon ", 23) + "art")
	b := phraseBlock(words)
	if strings.Count(b, "\n") != 4 || !strings.Contains(b, " 24 art") {
		t.Fatalf("block:\n%s", b)
	}
}
