package repo

import (
	"testing"

	"github.com/rhizome-pds/rhizome/keys"
)

func FuzzVerifyCommit(f *testing.F) {
	key, err := keys.Generate(keys.K256)
	if err != nil {
		f.Fatal(err)
	}
	c := &Commit{DID: testDID, Version: Version, Rev: "3lhhxizu5wr2d"}
	c.Data = newFixture(f, keys.K256).repo.Tree().Root()
	if err := c.Sign(key); err != nil {
		f.Fatal(err)
	}
	f.Add(c.Bytes())
	f.Add(c.Unsigned())
	f.Add([]byte{0xa6})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeCommit(data)
		if err != nil {
			return
		}
		// Whatever decodes is canonical: it encodes back to the input.
		if string(got.Bytes()) != string(data) {
			t.Fatalf("commit re-encodes differently")
		}
		if got.Verify(key.PublicKey()) == nil && string(data) != string(c.Bytes()) {
			t.Fatalf("a different commit verified under the test key")
		}
	})
}
