package custody

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// RecoveryPlan is what a recovery would do.
type RecoveryPlan struct {
	DID syntax.DID
	// Fork is the operation the recovery follows: the last one before the
	// operations it nullifies.
	Fork Entry
	// Nullify are the live operations after Fork, oldest first, none of
	// them signed by the user's key.
	Nullify []Entry
	// Keys are the rotation keys that signed them.
	Keys []string
	// Deadline is when the window closes: 72 hours after the first of
	// them was accepted. Now is the clock reading the plan was made at.
	Deadline, Now time.Time
}

// WindowError says a recovery is too late.
type WindowError struct {
	DID      syntax.DID
	Op       cid.CID // the first operation that would be nullified
	Signer   string  // the key that signed it
	At       time.Time
	Deadline time.Time
	Now      time.Time
}

func (e *WindowError) Error() string {
	return fmt.Sprintf("the recovery window of %s is closed: operation %s, signed by %s, was accepted by the directory at %s; "+
		"a higher-priority key could nullify it until %s (%s later), and it is now %s, %s past that",
		e.DID, e.Op, e.Signer, stamp(e.At), stamp(e.Deadline), plc.RecoveryWindow, stamp(e.Now), e.Now.Sub(e.Deadline).Round(time.Second))
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

const opRecover = "recover identity"

// PlanRecovery finds the operations a recovery with the rotation key mine
// (a did:key) would nullify, and checks that it may.
//
// Candidates are the live operations at the end of the log that mine did
// not sign (never the genesis operation). The recovery forks the log just
// before one of them, nullifying it and all after it; that fork must list
// mine before the key that signed it, and it must be at most 72 hours old
// by the tool's clock. With from set, the recovery starts at that
// operation. Otherwise it starts at the earliest candidate that can still
// be undone: so an old, accepted change by a host is kept while a recent
// hostile one is undone, and a change that removed mine (after which no
// fork lists mine) is found behind the ones that followed it. If the only
// candidates that mine outranks are too old, the error is a *WindowError.
func (t *Tool) PlanRecovery(ctx context.Context, did syntax.DID, mine string, from cid.CID) (*RecoveryPlan, error) {
	l, err := t.Fetch(ctx, did)
	if err != nil {
		return nil, err
	}
	if err := l.Valid(); err != nil {
		return nil, err
	}
	tail, err := foreignTail(l, mine)
	if err != nil {
		return nil, err
	}
	now := t.now()
	start, err := pickStart(l, tail, mine, from, now)
	if err != nil {
		return nil, err
	}
	p := newPlan(l, tail[start:], now)
	if p.Now.After(p.Deadline) {
		first := p.Nullify[0]
		we := &WindowError{DID: did, Op: first.CID, Signer: first.Signer, At: first.CreatedAt, Deadline: p.Deadline, Now: p.Now}
		return p, rhizome.Errorf(opRecover, rhizome.Forbidden, "%w", we)
	}
	return p, nil
}

// foreignTail returns the indexes of the live operations at the end of
// the log that mine did not sign, the genesis operation excepted.
func foreignTail(l *Log, mine string) ([]int, error) {
	live := l.Live()
	n := len(live)
	for n > 1 && l.Entries[live[n-1]].Signer != mine {
		n--
	}
	if n == len(live) {
		head := l.Current()
		return nil, rhizome.Errorf(opRecover, rhizome.Invalid,
			"nothing to recover: the latest operation of %s (%s, %s) was signed by your key or is its first", l.DID, head.CID, stamp(head.CreatedAt))
	}
	return live[n:], nil
}

// pickStart chooses where in tail the recovery starts.
func pickStart(l *Log, tail []int, mine string, from cid.CID, now time.Time) (int, error) {
	if from.Defined() {
		for k, i := range tail {
			if l.Entries[i].CID == from {
				return k, checkPriority(l, i, mine)
			}
		}
		return 0, rhizome.Errorf(opRecover, rhizome.Invalid, "%s is not one of the latest operations of %s your key did not sign", from, l.DID)
	}
	valid := -1
	for k, i := range tail {
		if checkPriority(l, i, mine) != nil {
			continue
		}
		if valid < 0 {
			valid = k
		}
		if now.Sub(l.Entries[i].CreatedAt) <= plc.RecoveryWindow {
			return k, nil
		}
	}
	if valid < 0 {
		return 0, checkPriority(l, tail[0], mine)
	}
	return valid, nil
}

func newPlan(l *Log, nullify []int, now time.Time) *RecoveryPlan {
	first := l.Entries[nullify[0]]
	p := &RecoveryPlan{DID: l.DID, Fork: l.Entries[first.Prev], Now: now, Deadline: first.CreatedAt.Add(plc.RecoveryWindow)}
	for _, i := range nullify {
		e := l.Entries[i]
		p.Nullify = append(p.Nullify, e)
		if e.Signer != "" && !slices.Contains(p.Keys, e.Signer) {
			p.Keys = append(p.Keys, e.Signer)
		}
	}
	return p
}

// checkPriority requires mine among the rotation keys of the operation
// before entry i, listed before the key that signed entry i.
func checkPriority(l *Log, i int, mine string) error {
	e := l.Entries[i]
	ks := l.Entries[e.Prev].Operation.EffectiveRotationKeys()
	k := slices.Index(ks, mine)
	switch {
	case k < 0:
		return rhizome.Errorf(opRecover, rhizome.Forbidden,
			"your key %s was not a rotation key of %s when operation %s was made (its keys were %v), so it cannot undo it", mine, l.DID, e.CID, ks)
	case k >= e.SignerIndex:
		return rhizome.Errorf(opRecover, rhizome.Forbidden,
			"operation %s was signed by %s, rotation key %d of %s, which your key (%d) does not outrank; only a key listed before it can undo it",
			e.CID, e.Signer, e.SignerIndex+1, l.DID, k+1)
	}
	return nil
}

// RecoverOptions adjust the state a recovery restores.
type RecoverOptions struct {
	// KeepKeys keeps the rotation keys that signed the nullified
	// operations; by default they are removed, so they cannot act again.
	KeepKeys bool
	// PDS and SigningKey, if set, repoint the DID in the same operation.
	PDS, SigningKey string
	// From, if set, is the first operation to nullify (see PlanRecovery).
	From cid.CID
}

// Recover nullifies the operations PlanRecovery finds by forking the log
// at the last operation before them with a new one signed by signer,
// restoring the state before them (less the keys that signed them, unless
// opts.KeepKeys), and verifies that the directory did.
func (t *Tool) Recover(ctx context.Context, did syntax.DID, signer keys.Signer, opts RecoverOptions) (*Change, *RecoveryPlan, error) {
	mine := signer.PublicKey().DIDKey()
	p, err := t.PlanRecovery(ctx, did, mine, opts.From)
	if err != nil {
		return nil, p, err
	}
	op, err := build(p.Fork.Operation, p.restore(mine, opts))
	if err != nil {
		return nil, p, err
	}
	var nullify []cid.CID
	for _, e := range p.Nullify {
		nullify = append(nullify, e.CID)
	}
	ch, err := t.submit(ctx, did, op, signer, nullify)
	if rhizome.Is(err, rhizome.Invalid) { // the directory refused it: say what this side believed
		return nil, p, rhizome.Errorf(opRecover, rhizome.KindOf(err),
			"%w (by this machine's clock the window closes at %s; it is now %s)", err, stamp(p.Deadline), stamp(t.now()))
	}
	if err != nil {
		return nil, p, err
	}
	return ch, p, nil
}

func (p *RecoveryPlan) restore(mine string, opts RecoverOptions) Mutation {
	return func(op *plc.Operation) error {
		if !opts.KeepKeys {
			op.RotationKeys = slices.DeleteFunc(op.RotationKeys, func(k string) bool {
				return k != mine && slices.Contains(p.Keys, k)
			})
		}
		if opts.PDS != "" {
			ep, err := CheckEndpoint(opts.PDS)
			if err != nil {
				return err
			}
			op.Services[plc.ServiceAtprotoPDS] = plc.Service{Type: plc.ServiceTypePDS, Endpoint: ep}
		}
		if opts.SigningKey != "" {
			if _, err := keys.ParsePublicDIDKey(opts.SigningKey); err != nil {
				return rhizome.Errorf(opRecover, rhizome.Invalid, "signing key: %w", err)
			}
			op.VerificationMethods[plc.VerificationMethodAtproto] = opts.SigningKey
		}
		return nil
	}
}
