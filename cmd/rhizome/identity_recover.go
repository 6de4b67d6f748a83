package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/custody"
)

// planOut is recover --dry-run's output, and part of recover's.
type planOut struct {
	DID      string   `json:"did"`
	Fork     string   `json:"fork"`
	Nullify  []string `json:"nullify"`
	Keys     []string `json:"keys"`
	Deadline string   `json:"deadline"`
	Now      string   `json:"now"`
}

func planJSON(p *custody.RecoveryPlan) planOut {
	o := planOut{DID: string(p.DID), Fork: p.Fork.CID.String(), Keys: p.Keys,
		Deadline: p.Deadline.UTC().Format("2006-01-02T15:04:05Z"), Now: p.Now.UTC().Format("2006-01-02T15:04:05Z")}
	for _, e := range p.Nullify {
		o.Nullify = append(o.Nullify, e.CID.String())
	}
	return o
}

func planText(p *custody.RecoveryPlan) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: going back to operation %s (%s)\n", p.DID, p.Fork.CID, p.Fork.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
	for _, e := range p.Nullify {
		fmt.Fprintf(&sb, "  nullifies %s, signed by %s at %s\n", e.CID, e.Signer, e.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
	}
	fmt.Fprintf(&sb, "  the window closes at %s\n", p.Deadline.UTC().Format("2006-01-02T15:04:05Z"))
	return sb.String()
}

// idRecover nullifies what lower-priority keys did to --did, signing with
// the phrase's key (--phrase-file) or the keystore's.
func idRecover(ctx context.Context, f *idFlags, pos []string) error {
	if len(pos) != 0 {
		return usageErr("usage: rhizome identity recover --did DID [--phrase-file F | --key NAME] [--from CID] [--keep-keys] [--pds URL] [--signing-key DIDKEY] [--dry-run]")
	}
	did, err := f.needDID()
	if err != nil {
		return err
	}
	s, err := f.signer()
	if err != nil {
		return err
	}
	var from cid.CID
	if f.from != "" {
		if from, err = cid.Parse(f.from); err != nil {
			return usageErr("--from: " + err.Error())
		}
	}
	t := f.tool()
	if f.dryRun {
		p, err := t.PlanRecovery(ctx, did, s.PublicKey().DIDKey(), from)
		if err != nil {
			return err
		}
		return f.emit(planJSON(p), planText(p))
	}
	ch, p, err := t.Recover(ctx, did, s, custody.RecoverOptions{KeepKeys: f.keepKeys, PDS: f.pds, SigningKey: f.signingKey, From: from})
	if err != nil {
		return err
	}
	if !f.json {
		fmt.Fprint(f.out, planText(p))
	}
	return f.emitChange("recovered", ch)
}
