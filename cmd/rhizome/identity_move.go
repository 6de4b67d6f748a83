package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/keys"
)

// idBackup saves --did's repository and blobs from --pod into DIR,
// checking the repository's signature against the DID's current key.
func idBackup(ctx context.Context, f *idFlags, pos []string) error {
	if len(pos) != 1 || f.pod == "" {
		return usageErr("usage: rhizome identity backup --did DID --pod URL DIR")
	}
	did, err := f.needDID()
	if err != nil {
		return err
	}
	l, err := f.tool().Fetch(ctx, did)
	if err != nil {
		return err
	}
	data, err := l.Data()
	if err != nil {
		return err
	}
	key, err := data.SigningKey()
	if err != nil {
		return err
	}
	m, err := custody.Backup(ctx, f.podClient(f.pod), did, key, pos[0])
	if err != nil {
		return err
	}
	return f.emit(m, fmt.Sprintf("backed up %s into %s: %d records (commit %s, rev %s), %d blobs\n",
		did, pos[0], m.Records, m.Commit, m.Rev, len(m.Blobs)))
}

// idRestore brings --did up on --pod from --backup, signing the move with
// the rotation key (best from the phrase: --phrase-file).
func idRestore(ctx context.Context, f *idFlags, pos []string) error {
	if len(pos) != 0 || f.pod == "" || f.backup == "" || f.email == "" {
		return usageErr("usage: rhizome identity restore --did DID --pod URL --backup DIR --email EMAIL [--handle H] [--password-file F] [--phrase-file F | --key NAME] [--keep-keys]")
	}
	did, err := f.needDID()
	if err != nil {
		return err
	}
	s, err := f.signer()
	if err != nil {
		return err
	}
	password, err := f.accountPassword()
	if err != nil {
		return err
	}
	in := custody.RestoreInput{Pod: f.podClient(f.pod), DID: did, Backup: f.backup, Handle: f.handle,
		Email: f.email, Password: password, InviteCode: f.invite, KeepRotationKeys: f.keepKeys}
	r, err := f.tool().Restore(ctx, in, s)
	if err != nil {
		return err
	}
	return f.emit(restoredJSON(r), restoredText(r, in, s))
}

type restoredOut struct {
	DID     string   `json:"did"`
	Handle  string   `json:"handle"`
	Op      string   `json:"op,omitempty"`
	Records int      `json:"records"`
	Blobs   int      `json:"blobs"`
	Dropped []string `json:"droppedRotationKeys,omitempty"`
}

func restoredJSON(r *custody.Restored) restoredOut {
	o := restoredOut{DID: r.Session.DID, Handle: r.Session.Handle, Records: r.Manifest.Records,
		Blobs: len(r.Manifest.Blobs), Dropped: r.Dropped}
	if r.Change != nil {
		o.Op = r.Change.CID.String()
	}
	return o
}

func restoredText(r *custody.Restored, in custody.RestoreInput, s keys.Signer) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s (%s) is up on %s: %d records and %d blobs restored and verified.\n",
		r.Session.DID, r.Session.Handle, in.Pod.URL, r.Manifest.Records, len(r.Manifest.Blobs))
	if r.Change != nil {
		fmt.Fprintf(&sb, "The DID now names that pod and its signing key (operation %s, signed by %s).\n", r.Change.CID, s.PublicKey().DIDKey())
	}
	for _, k := range r.Dropped {
		fmt.Fprintf(&sb, "Removed rotation key %s.\n", k)
	}
	return sb.String()
}
