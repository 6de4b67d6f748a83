package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

// changeOut is the output of a verified change.
type changeOut struct {
	DID       string   `json:"did"`
	CID       string   `json:"cid"`
	State     any      `json:"state"`
	Nullified []string `json:"nullified,omitempty"`
	Dropped   []string `json:"droppedRotationKeys,omitempty"`
}

func (f *idFlags) emitChange(what string, ch *custody.Change) error {
	out := changeOut{DID: string(ch.DID), CID: ch.CID.String(), State: ch.Data}
	for _, n := range ch.Nullified {
		out.Nullified = append(out.Nullified, n.String())
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: operation %s accepted and verified.\n", what, ch.CID)
	writeState(&sb, ch.Data.RotationKeys, ch.Data.VerificationMethods["atproto"], pdsOf(ch), ch.Data.AlsoKnownAs)
	return f.emit(out, sb.String())
}

func pdsOf(ch *custody.Change) string {
	p, _ := ch.Data.PDS()
	return p
}

func writeState(sb *strings.Builder, rotation []string, signing, pds string, aka []string) {
	fmt.Fprintf(sb, "  PDS          %s\n  signing key  %s\n  alsoKnownAs  %s\n", pds, signing, strings.Join(aka, " "))
	for i, k := range rotation {
		fmt.Fprintf(sb, "  rotation %d   %s\n", i+1, k)
	}
}

// change runs one signed change against --did.
func (f *idFlags) change(ctx context.Context, what string, do func(*custody.Tool, syntax.DID, keys.Signer) (*custody.Change, error)) error {
	did, err := f.needDID()
	if err != nil {
		return err
	}
	s, err := f.signer()
	if err != nil {
		return err
	}
	ch, err := do(f.tool(), did, s)
	if err != nil {
		return err
	}
	return f.emitChange(what, ch)
}

func idRotateSigningKey(ctx context.Context, f *idFlags, pos []string) error {
	if len(pos) != 0 || (f.signingKey == "") == (f.pod == "") {
		return usageErr("usage: rhizome identity rotate-signing-key --did DID (--signing-key DIDKEY | --pod URL)")
	}
	return f.change(ctx, "signing key rotated", func(t *custody.Tool, did syntax.DID, s keys.Signer) (*custody.Change, error) {
		key, err := f.newSigningKey(ctx, did, f.pod)
		if err != nil {
			return nil, err
		}
		return t.RotateSigningKey(ctx, did, s, key)
	})
}

// newSigningKey is --signing-key, or the key pod reserves for did.
func (f *idFlags) newSigningKey(ctx context.Context, did syntax.DID, pod string) (string, error) {
	if f.signingKey != "" {
		return f.signingKey, nil
	}
	return f.podClient(pod).ReserveSigningKey(ctx, string(did))
}

func idSetPDS(ctx context.Context, f *idFlags, pos []string) error {
	if len(pos) != 1 || (f.reserve && f.signingKey != "") {
		return usageErr("usage: rhizome identity set-pds --did DID URL [--signing-key DIDKEY | --reserve]")
	}
	return f.change(ctx, "PDS set", func(t *custody.Tool, did syntax.DID, s keys.Signer) (*custody.Change, error) {
		key := f.signingKey
		if f.reserve {
			var err error
			if key, err = f.newSigningKey(ctx, did, pos[0]); err != nil {
				return nil, err
			}
		}
		return t.SetPDS(ctx, did, s, pos[0], key)
	})
}

func idSetHandle(ctx context.Context, f *idFlags, pos []string) error {
	if len(pos) != 1 {
		return usageErr("usage: rhizome identity set-handle --did DID HANDLE")
	}
	return f.change(ctx, "handle set", func(t *custody.Tool, did syntax.DID, s keys.Signer) (*custody.Change, error) {
		return t.SetHandle(ctx, did, s, pos[0])
	})
}

func idAddRotationKey(ctx context.Context, f *idFlags, pos []string) error {
	if len(pos) != 1 || f.position == 0 {
		return usageErr("usage: rhizome identity add-rotation-key --did DID DIDKEY [--position N (1 = highest priority)]")
	}
	at := f.position - 1 // -1 stays "last"
	if f.position < 0 {
		at = -1
	}
	return f.change(ctx, "rotation key added", func(t *custody.Tool, did syntax.DID, s keys.Signer) (*custody.Change, error) {
		return t.AddRotationKey(ctx, did, s, pos[0], at)
	})
}

func idRemoveRotationKey(ctx context.Context, f *idFlags, pos []string) error {
	if len(pos) != 1 {
		return usageErr("usage: rhizome identity remove-rotation-key --did DID DIDKEY")
	}
	return f.change(ctx, "rotation key removed", func(t *custody.Tool, did syntax.DID, s keys.Signer) (*custody.Change, error) {
		return t.RemoveRotationKey(ctx, did, s, pos[0])
	})
}
