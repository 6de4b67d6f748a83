package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome/custody"
)

// idShow prints a DID's verified state and who can change what.
func idShow(ctx context.Context, f *idFlags, pos []string) error {
	did, err := f.argDID(pos)
	if err != nil {
		return err
	}
	owner, err := f.ownerKey()
	if err != nil {
		return err
	}
	s, err := f.tool().Show(ctx, did, owner)
	if err != nil {
		return err
	}
	return f.emit(s, showText(s))
}

func showText(s *custody.Summary) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s  (log verified: %d operations, %d nullified; created %s, last changed %s)\n",
		s.DID, s.Operations, s.Nullified, s.Created.UTC().Format(time.RFC3339), s.Updated.UTC().Format(time.RFC3339))
	fmt.Fprintf(&sb, "  handle       %s\n", or(s.Handle, "(none)"))
	writeState(&sb, s.RotationKeys, s.SigningKey, s.PDS, s.AlsoKnownAs)
	for id, svc := range s.Services {
		if id != "atproto_pds" {
			fmt.Fprintf(&sb, "  service #%s  %s %s\n", id, svc.Type, svc.Endpoint)
		}
	}
	sb.WriteString("\nwho can change what:\n")
	for _, p := range s.Powers {
		fmt.Fprintf(&sb, "  - %s\n", p)
	}
	return sb.String()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// idAudit checks every operation of a DID and reports findings. It fails
// (exit 1) when it finds an alert, so scripts notice.
func idAudit(ctx context.Context, f *idFlags, pos []string) error {
	did, err := f.argDID(pos)
	if err != nil {
		return err
	}
	owner, err := f.ownerKey()
	if err != nil {
		return err
	}
	r, err := f.tool().Audit(ctx, did, owner)
	if err != nil {
		return err
	}
	if err := f.emit(r, auditText(r)); err != nil {
		return err
	}
	if r.Worst() == custody.Alert {
		return fmt.Errorf("audit of %s: alerts found", did)
	}
	return nil
}

func auditText(r *custody.Report) string {
	var sb strings.Builder
	valid := "the log follows the did:plc rules"
	if !r.Valid {
		valid = "THE LOG BREAKS THE did:plc RULES: " + r.Problem
	}
	fmt.Fprintf(&sb, "%s: %d operations; %s\n", r.DID, len(r.Operations), valid)
	owner := r.Owner
	if r.OwnerAssumed {
		owner += " (assumed: the first rotation key at creation; give --owner or --key to say which is yours)"
	}
	fmt.Fprintf(&sb, "your key: %s\n\n", owner)
	for i, op := range r.Operations {
		null := ""
		if op.Nullified {
			null = " NULLIFIED"
		}
		fmt.Fprintf(&sb, "%2d %s %s%s\n   signed by rank %d %s\n", i+1, op.At.UTC().Format(time.RFC3339), op.CID, null, op.SignerRank, op.Signer)
		for _, c := range op.Changes {
			fmt.Fprintf(&sb, "   %s\n", c)
		}
	}
	if len(r.Findings) == 0 {
		sb.WriteString("\nnothing suspicious\n")
		return sb.String()
	}
	sb.WriteString("\nfindings:\n")
	for _, x := range r.Findings {
		fmt.Fprintf(&sb, "  %-7s %s", strings.ToUpper(string(x.Severity)), x.What)
		if x.Op != "" {
			fmt.Fprintf(&sb, " [op %s at %s by %s]", x.Op, x.At.UTC().Format(time.RFC3339), or(x.By, "?"))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}
