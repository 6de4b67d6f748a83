package plc

import (
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

func mustCID(t *testing.T, op *Operation) cid.CID {
	t.Helper()
	c, err := op.CID()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newKey(t *testing.T, curve keys.Curve) keys.Signer {
	t.Helper()
	k, err := keys.Generate(curve)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func signed(t *testing.T, op *Operation, k keys.Signer) *Operation {
	t.Helper()
	if err := op.Sign(k); err != nil {
		t.Fatal(err)
	}
	return op
}

func syntaxDID(s string) syntax.DID { return syntax.DID(s) }
