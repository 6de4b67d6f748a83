package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/rhizome-pds/rhizome/backup"
	"github.com/rhizome-pds/rhizome/custody"
)

const backupUsage = `usage: rhizome backup COMMAND [FLAGS]

Encrypted, content-addressed, incremental backups of one account. The
archive is encrypted before anything is written: to age recipients, or to
a passphrase. A second backup to the same archive stores only what changed.

commands:
  create --to DIR|s3://BUCKET?endpoint=…  --did DID --pod URL
                                            take a snapshot (creates the archive if there is none)
         [--all instead of --did]          every active account the pod hosts, into the one archive
         [--recipient age1... | --recipients-file F]   encrypt a new archive to these keys (else a passphrase)
         [--login ID --password-file F]    also save the account's preferences (an app password will do)
  list --from DIR                           the snapshots, oldest first
  verify --from DIR [--snapshot ID | --all] decrypt and check every object, the commit signature, the MST
  restore --from DIR --pod URL --email E [--snapshot ID] [--handle H] [--password-file F]
         [--phrase-file F | --key NAME [--key-passphrase-file F]] [--keep-keys]
                                            verify, then bring the account up on another pod
  prune --from DIR --keep N                 keep each account's newest N snapshots; delete the rest and what only they needed

An s3:// target takes the blob store's URL form (endpoint, region, prefix,
create=true) and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; --from takes
the same.

opening an archive:
  --identity F           age identity file (AGE-SECRET-KEY-1...) for an archive made for recipients
  --passphrase-file F    the archive's passphrase (else $RHIZOME_PASSPHRASE, else the terminal)

common flags:
  --plc URL              PLC directory (default $RHIZOME_PLC_URL or https://plc.directory)
  --json                 machine-readable result on stdout
  --progress MODE        bar, json (lines on stderr) or none (default: bar on a terminal)`

// runBackup dispatches "rhizome backup SUBCOMMAND".
func runBackup(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(os.Stderr, backupUsage)
		return nil
	}
	run, ok := backupCommands[args[0]]
	if !ok {
		return usageErr(fmt.Sprintf("unknown backup command %q\n\n%s", args[0], backupUsage))
	}
	f := newBackupFlags(args[0])
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	return run(ctx, f)
}

var backupCommands = map[string]func(context.Context, *bkFlags) error{
	"create":  bkCreate,
	"list":    bkList,
	"verify":  bkVerify,
	"restore": bkRestore,
	"prune":   bkPrune,
}

// bkPrune keeps each account's newest --keep snapshots.
func bkPrune(ctx context.Context, f *bkFlags) error {
	if f.keep < 1 {
		return usageErr("backup prune: --keep N (at least 1) is required")
	}
	a, err := f.open(ctx)
	if err != nil {
		return err
	}
	p, err := a.Prune(ctx, f.keep)
	if err != nil {
		return err
	}
	return f.id.emit(p, fmt.Sprintf("deleted %d snapshots and %d objects; %d snapshots kept\n", p.Snapshots, p.Objects, p.Kept))
}

func bkCreate(ctx context.Context, f *bkFlags) error {
	if f.to == "" || f.id.pod == "" {
		return usageErr("usage: rhizome backup create --to DIR (--did DID | --all) --pod URL [--recipient age1...] [--login ID --password-file F]")
	}
	if f.all {
		return bkCreateAll(ctx, f)
	}
	did, err := f.id.needDID()
	if err != nil {
		return err
	}
	a, made, err := f.openOrCreate(ctx)
	if err != nil {
		return err
	}
	in := backup.CreateInput{Pod: f.id.podClient(f.id.pod), DID: did, Tool: f.id.tool(), Login: f.login}
	if f.login != "" {
		if in.Password, err = f.id.accountPassword(); err != nil {
			return err
		}
	}
	prog := f.progress()
	in.Progress = prog.report
	s, err := a.Backup(ctx, in)
	prog.done()
	if err != nil {
		return err
	}
	text := fmt.Sprintf("snapshot %s of %s (%s): %d records, %d blocks in %d packs, %d blobs; wrote %d objects, %s\n",
		s.ShortID(), s.DID, s.Handle, s.Records, s.Blocks, len(s.Packs), len(s.Blobs), s.WrittenObjects, bytesString(s.WrittenBytes))
	if made {
		text = "created the archive in " + f.to + "\n" + text
	}
	if s.PreferencesNote != "" {
		text += "preferences " + s.PreferencesNote + "\n"
	}
	return f.id.emit(snapshotJSON(s, made), text)
}

// bkCreateAll snapshots every active account the pod hosts into the one
// archive (preferences need each account's login: they are left out).
func bkCreateAll(ctx context.Context, f *bkFlags) error {
	if f.id.did != "" || f.login != "" {
		return usageErr("backup create --all takes no --did or --login")
	}
	pod := f.id.podClient(f.id.pod)
	repos, err := pod.ListRepos(ctx)
	if err != nil {
		return err
	}
	a, made, err := f.openOrCreate(ctx)
	if err != nil {
		return err
	}
	out := []snapshotOut{}
	var text strings.Builder
	for _, r := range repos {
		if !r.Active {
			fmt.Fprintf(&text, "skipped %s: %s\n", r.DID, r.Status)
			continue
		}
		s, err := a.Backup(ctx, backup.CreateInput{Pod: pod, DID: r.DID, Tool: f.id.tool()})
		if err != nil {
			return fmt.Errorf("back up %s: %w", r.DID, err)
		}
		out = append(out, snapshotJSON(s, made))
		fmt.Fprintf(&text, "snapshot %s of %s (%s): %d records, %d blobs; wrote %s\n", s.ShortID(), s.DID, s.Handle, s.Records, len(s.Blobs), bytesString(s.WrittenBytes))
	}
	return f.id.emit(out, text.String())
}

func bkList(ctx context.Context, f *bkFlags) error {
	a, err := f.open(ctx)
	if err != nil {
		return err
	}
	all, err := a.Snapshots(ctx)
	if err != nil {
		return err
	}
	out := make([]snapshotOut, 0, len(all))
	var sb strings.Builder
	for _, s := range all {
		out = append(out, snapshotJSON(s, false))
		fmt.Fprintf(&sb, "%s  %s  %s  %-24s rev %s  %6d records  %4d blobs  +%s\n", s.ShortID(),
			s.TakenAt.Format("2006-01-02 15:04:05Z"), s.DID, s.Handle, s.Rev, s.Records, len(s.Blobs), bytesString(s.WrittenBytes))
	}
	return f.id.emit(out, sb.String())
}

func bkVerify(ctx context.Context, f *bkFlags) error {
	a, err := f.open(ctx)
	if err != nil {
		return err
	}
	snaps, err := f.snapshots(ctx, a)
	if err != nil {
		return err
	}
	var out []verifiedOut
	var sb strings.Builder
	for _, s := range snaps {
		prog := f.progress()
		v, err := a.Verify(ctx, s, prog.report)
		prog.done()
		if err != nil {
			return fmt.Errorf("snapshot %s does not verify: %w", s.ShortID(), err)
		}
		out = append(out, verifiedOut{Snapshot: s.ShortID(), DID: string(s.DID), Commit: s.Commit, Records: s.Records,
			Blocks: s.Blocks, Blobs: len(s.Blobs), Objects: v.Objects, Bytes: v.Bytes})
		fmt.Fprintf(&sb, "snapshot %s verifies: %s rev %s, commit %s signed by %s, %d records, %d blocks, %d blobs (%d objects, %s)\n",
			s.ShortID(), s.DID, s.Rev, s.Commit, s.SigningKey, s.Records, s.Blocks, len(s.Blobs), v.Objects, bytesString(v.Bytes))
	}
	return f.id.emit(out, sb.String())
}

func bkRestore(ctx context.Context, f *bkFlags) error {
	if f.id.pod == "" || f.id.email == "" {
		return usageErr("usage: rhizome backup restore --from DIR --pod URL --email EMAIL [--snapshot ID] [--handle H] [--password-file F] [--phrase-file F | --key NAME] [--keep-keys]")
	}
	a, err := f.open(ctx)
	if err != nil {
		return err
	}
	s, err := f.find(ctx, a)
	if err != nil {
		return err
	}
	f.id.passphraseFile = f.keyPassphraseFile
	signer, err := f.id.signer()
	if err != nil {
		return err
	}
	password, err := f.id.accountPassword()
	if err != nil {
		return err
	}
	in := custody.RestoreInput{Pod: f.id.podClient(f.id.pod), DID: s.DID, Handle: f.id.handle, Email: f.id.email,
		Password: password, InviteCode: f.id.invite, KeepRotationKeys: f.id.keepKeys}
	prog := f.progress()
	r, err := a.Restore(ctx, f.id.tool(), s, in, signer, prog.report)
	prog.done()
	if err != nil {
		return err
	}
	o := restoredJSON(r.Restored)
	text := restoredText(r.Restored, in, signer)
	text = fmt.Sprintf("from snapshot %s taken %s:\n", s.ShortID(), s.TakenAt.Format("2006-01-02 15:04:05Z")) + text
	if r.Preferences {
		text += "The preferences were put back.\n"
	} else if r.PreferencesNote != "" {
		text += r.PreferencesNote + "\n"
	}
	return f.id.emit(restoredBackupOut{restoredOut: o, Snapshot: s.ShortID(), Preferences: r.Preferences}, text)
}

type snapshotOut struct {
	Snapshot       string   `json:"snapshot"`
	ID             string   `json:"id"`
	Created        bool     `json:"createdArchive,omitempty"`
	DID            string   `json:"did"`
	Handle         string   `json:"handle,omitempty"`
	TakenAt        string   `json:"takenAt"`
	Commit         string   `json:"commit"`
	Rev            string   `json:"rev"`
	Records        int      `json:"records"`
	Blocks         int      `json:"blocks"`
	Packs          int      `json:"packs"`
	Blobs          []string `json:"blobs"`
	Preferences    bool     `json:"preferences"`
	WrittenObjects int64    `json:"writtenObjects"`
	WrittenBytes   int64    `json:"writtenBytes"`
}

func snapshotJSON(s backup.Snapshot, made bool) snapshotOut {
	o := snapshotOut{Snapshot: s.ShortID(), ID: s.ID, Created: made, DID: string(s.DID), Handle: s.Handle,
		TakenAt: s.TakenAt.Format("2006-01-02T15:04:05.000Z"), Commit: s.Commit, Rev: s.Rev, Records: s.Records,
		Blocks: s.Blocks, Packs: len(s.Packs), Blobs: []string{}, Preferences: s.Preferences != "",
		WrittenObjects: s.WrittenObjects, WrittenBytes: s.WrittenBytes}
	for _, b := range s.Blobs {
		o.Blobs = append(o.Blobs, b.CID)
	}
	return o
}

type verifiedOut struct {
	Snapshot string `json:"snapshot"`
	DID      string `json:"did"`
	Commit   string `json:"commit"`
	Records  int    `json:"records"`
	Blocks   int    `json:"blocks"`
	Blobs    int    `json:"blobs"`
	Objects  int    `json:"objects"`
	Bytes    int64  `json:"bytes"`
}

type restoredBackupOut struct {
	restoredOut
	Snapshot    string `json:"snapshot"`
	Preferences bool   `json:"preferences"`
}
