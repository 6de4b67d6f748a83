package plc

import (
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// RecoveryWindow is how long after an operation a higher-priority rotation
// key may still nullify it by forking the log before it. An operation
// exactly RecoveryWindow old can still be nullified.
const RecoveryWindow = 72 * time.Hour

// chain is the replayed state of one DID's log: every operation, nullified
// or not, linked to the latest operation that named it as prev.
type chain struct {
	did   syntax.DID
	nodes map[cid.CID]*node
	order []*node
	head  *node // the latest operation that is not nullified
}

type node struct {
	cid       cid.CID
	op        *Operation
	at        time.Time
	nullified bool
	lastChild *node // the latest operation with this one as prev
	// signer is the index of the key that signed op in its prev's rotation
	// keys, or -1 until needed (logs read back from a store are trusted).
	signer int
}

// step is what accepting a new operation does to the chain.
type step struct {
	prev    *node // nil for a genesis operation
	signer  int
	nullify []*node
}

func newChain(did syntax.DID) *chain {
	return &chain{did: did, nodes: map[cid.CID]*node{}}
}

const opCheck = "check plc operation"

// check decides whether op, arriving at time at, may extend the chain, and
// how: which key signed it and which operations it nullifies.
func (c *chain) check(op *Operation, at time.Time) (step, error) {
	if c.head == nil {
		return c.checkGenesis(op)
	}
	if !op.Prev.Defined() {
		return step{}, rhizome.Errorf(opCheck, rhizome.Invalid, "%s already exists; operation has no prev", c.did)
	}
	prev := c.nodes[op.Prev]
	switch {
	case prev == nil:
		return step{}, rhizome.Errorf(opCheck, rhizome.Invalid, "prev %s is not in the log", op.Prev)
	case prev.nullified:
		return step{}, rhizome.Errorf(opCheck, rhizome.Invalid, "prev %s is nullified", op.Prev)
	case !at.After(c.head.at):
		return step{}, rhizome.E(opCheck, rhizome.Invalid, "timestamp is not after the latest operation's")
	}
	allowed, err := c.allowedKeys(prev)
	if err != nil {
		return step{}, err
	}
	signer, err := VerifySignature(op, allowed)
	if err != nil {
		return step{}, err
	}
	s := step{prev: prev, signer: signer}
	if first := prev.lastChild; first != nil {
		if at.Sub(first.at) > RecoveryWindow {
			return step{}, rhizome.Errorf(opCheck, rhizome.Invalid,
				"operation %s is more than %s old and can no longer be nullified", first.cid, RecoveryWindow)
		}
		for n := first; n != nil; n = n.lastChild {
			s.nullify = append(s.nullify, n)
		}
	}
	return s, nil
}

func (c *chain) checkGenesis(op *Operation) (step, error) {
	if !op.IsGenesis() {
		return step{}, rhizome.Errorf(opCheck, rhizome.Invalid, "%s has no log; a genesis operation must come first", c.did)
	}
	did, err := op.DID()
	if err != nil {
		return step{}, err
	}
	if did != c.did {
		return step{}, rhizome.Errorf(opCheck, rhizome.Invalid, "genesis operation is for %s, not %s", did, c.did)
	}
	signer, err := VerifySignature(op, op.EffectiveRotationKeys())
	if err != nil {
		return step{}, err
	}
	return step{signer: signer}, nil
}

// allowedKeys returns the keys that may sign a new successor of prev. Each
// successor narrows them: a later one must be signed by a key listed
// strictly before the key that signed the one before it.
func (c *chain) allowedKeys(prev *node) ([]string, error) {
	ks := prev.op.EffectiveRotationKeys()
	child := prev.lastChild
	if child == nil {
		return ks, nil
	}
	if child.signer < 0 {
		// Trusted replay: the first key that verifies is the one the
		// checked log recorded, since allowed keys are always a prefix.
		i, err := VerifySignature(child.op, ks)
		if err != nil {
			return nil, rhizome.Errorf(opCheck, rhizome.Corrupt, "stored operation %s: %w", child.cid, err)
		}
		child.signer = i
	}
	return ks[:child.signer], nil
}

// add applies a step checked by check.
func (c *chain) add(op *Operation, id cid.CID, at time.Time, s step) *node {
	n := &node{cid: id, op: op, at: at, signer: s.signer}
	for _, x := range s.nullify {
		x.nullified = true
	}
	if s.prev != nil {
		s.prev.lastChild = n
	}
	c.nodes[id] = n
	c.order = append(c.order, n)
	c.head = n
	return n
}

// addTrusted appends an entry read back from a store without checking it.
func (c *chain) addTrusted(op *Operation, id cid.CID, at time.Time, nullified bool) error {
	n := &node{cid: id, op: op, at: at, nullified: nullified, signer: -1}
	if op.Prev.Defined() {
		prev := c.nodes[op.Prev]
		if prev == nil {
			return rhizome.Errorf("replay plc log", rhizome.Corrupt, "prev %s of %s is not in the log", op.Prev, id)
		}
		prev.lastChild = n
	}
	c.nodes[id] = n
	c.order = append(c.order, n)
	if !nullified {
		c.head = n
	}
	return nil
}

// headCID is the CID of the latest operation, undefined for an empty chain.
func (c *chain) headCID() cid.CID {
	if c.head == nil {
		return cid.CID{}
	}
	return c.head.cid
}
