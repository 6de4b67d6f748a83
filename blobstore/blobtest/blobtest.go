package blobtest

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Run runs the conformance suite. Each top-level case calls open for a
// fresh, empty store; open may register cleanups on the t it is given.
func Run(t *testing.T, open func(t *testing.T) blobstore.Store) {
	t.Helper()
	cases := []struct {
		name string
		run  func(*testing.T, blobstore.Store)
	}{
		{"Put", testPut},
		{"PutMax", testPutMax},
		{"PutIdempotent", testPutIdempotent},
		{"Accounts", testAccounts},
		{"Get", testGet},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"DeleteAll", testDeleteAll},
		{"Concurrent", testConcurrent},
		{"FailedPut", testFailedPut},
		{"Cancel", testCancel},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

// The accounts the suite uses.
const (
	didA = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
	didB = "did:plc:44ybard66vv44zksje25o7dz"
	didC = "did:web:blobs.example.com"
)

// mustDID parses s, as every caller of a Store must.
func mustDID(t *testing.T, s string) syntax.DID {
	t.Helper()
	d, err := syntax.ParseDID(s)
	if err != nil {
		t.Fatalf("ParseDID(%q): %v", s, err)
	}
	return d
}

// content returns n deterministic pseudo-random bytes; different seeds give
// different content.
func content(seed uint64, n int) []byte {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// put stores data for did and checks the CID and size it returns.
func put(t *testing.T, s blobstore.Store, did syntax.DID, data []byte) cid.CID {
	t.Helper()
	c, n, err := s.Put(t.Context(), did, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Put(%s, %d bytes): %v", did, len(data), err)
	}
	checkPut(t, data, c, n)
	return c
}

// checkPut checks a Put's result against the bytes put.
func checkPut(t *testing.T, data []byte, c cid.CID, n int64) {
	t.Helper()
	if want := cid.Sum(cid.Raw, data); c != want {
		t.Fatalf("Put CID = %s, want %s", c, want)
	}
	if c.Codec() != cid.Raw {
		t.Fatalf("Put CID codec = %#x, want raw", c.Codec())
	}
	if n != int64(len(data)) {
		t.Fatalf("Put size = %d, want %d", n, len(data))
	}
}

// read reads a range of a blob through Get and returns it with the total
// size Get reported.
func read(t *testing.T, s blobstore.Store, did syntax.DID, c cid.CID, off, n int64) ([]byte, int64) {
	t.Helper()
	rc, size, err := s.Get(t.Context(), did, c, off, n)
	if err != nil {
		t.Fatalf("Get(%s, %s, %d, %d): %v", did, c, off, n, err)
	}
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("read blob %s: %v", c, err)
	}
	return b, size
}

// wantBlob checks that did holds exactly data under c, through Stat and Get.
func wantBlob(t *testing.T, s blobstore.Store, did syntax.DID, c cid.CID, data []byte) {
	t.Helper()
	size, err := s.Stat(t.Context(), did, c)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("Stat(%s, %s) = %d, %v; want %d", did, c, size, err, len(data))
	}
	got, size := read(t, s, did, c, 0, -1)
	if size != int64(len(data)) || !bytes.Equal(got, data) {
		t.Fatalf("Get(%s, %s): %d bytes, size %d; want the %d bytes put", did, c, len(got), size, len(data))
	}
}

// wantAbsent checks that did does not hold c, through Stat and Get.
func wantAbsent(t *testing.T, s blobstore.Store, did syntax.DID, c cid.CID) {
	t.Helper()
	if _, err := s.Stat(t.Context(), did, c); !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("Stat(%s, %s) err = %v, want NotFound", did, c, err)
	}
	rc, _, err := s.Get(t.Context(), did, c, 0, -1)
	if err == nil {
		rc.Close()
	}
	if !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("Get(%s, %s) err = %v, want NotFound", did, c, err)
	}
}

// wantKind fails unless err has the given kind.
func wantKind(t *testing.T, what string, err error, kind rhizome.Kind) {
	t.Helper()
	if !rhizome.Is(err, kind) {
		t.Fatalf("%s: err = %v (kind %v), want kind %v", what, err, rhizome.KindOf(err), kind)
	}
}

// ctxCancelled returns a context that is already cancelled.
func ctxCancelled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}
