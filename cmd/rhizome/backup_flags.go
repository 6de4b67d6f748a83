package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/backup"
	"github.com/rhizome-pds/rhizome/keys/keystore"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// bkFlags are the backup commands' flags: the identity commands' (pod,
// DID, signer, account password, --json) and the archive's.
type bkFlags struct {
	id                                        *idFlags
	to, from, snapshot, identity, recipFile   string
	archivePassFile, keyPassphraseFile, login string
	progressMode                              string
	all                                       bool
	keep                                      int
	recipients                                multiFlag
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func newBackupFlags(name string) *bkFlags {
	f := &bkFlags{id: newIDFlags(name)}
	f.id.fs.Init("backup "+name, 0)
	fs := f.id.fs
	// The identity flags' --passphrase-file means a key file's; here it
	// is the archive's, and the rotation key's is --key-passphrase-file.
	fs.Lookup("passphrase-file").Value.Set("")
	fs.Lookup("passphrase-file").Usage = "file whose first line is the archive's passphrase"
	fs.StringVar(&f.to, "to", "", "create: the archive folder")
	fs.Lookup("from").Usage = "the archive folder" // the identity flag, reused
	fs.StringVar(&f.snapshot, "snapshot", "", "a snapshot ID (a prefix will do); default the latest")
	fs.StringVar(&f.identity, "identity", "", "age identity file that opens the archive")
	fs.StringVar(&f.recipFile, "recipients-file", "", "file of age recipients to encrypt a new archive to")
	fs.Var(&f.recipients, "recipient", "age recipient (age1...) to encrypt a new archive to; repeatable")
	fs.StringVar(&f.keyPassphraseFile, "key-passphrase-file", "", "restore: the rotation key file's passphrase")
	fs.StringVar(&f.login, "login", "", "create: sign in as this handle or DID to save preferences")
	fs.StringVar(&f.progressMode, "progress", "", "bar, json or none")
	fs.BoolVar(&f.all, "all", false, "verify: every snapshot; create: every account the pod hosts")
	fs.IntVar(&f.keep, "keep", 0, "prune: how many snapshots of each account to keep")
	return f
}

func (f *bkFlags) parse(args []string) error {
	fs := f.id.fs
	fs.SetOutput(io.Discard)
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return usageErr(fmt.Sprintf("%s: %v\n\n%s", fs.Name(), err, backupUsage))
		}
		if args = fs.Args(); len(args) > 0 {
			return usageErr(fmt.Sprintf("%s: unexpected argument %q\n\n%s", fs.Name(), args[0], backupUsage))
		}
	}
	f.archivePassFile, f.from = f.id.passphraseFile, f.id.from
	if f.from == "" {
		f.from = f.to
	}
	if f.id.fs.Name() != "backup create" && f.from == "" {
		return usageErr(fs.Name() + ": --from DIR is required")
	}
	return nil
}

// access opens an archive: with --identity, else with the passphrase.
func (f *bkFlags) access() (backup.Access, error) {
	if f.identity != "" {
		b, err := readSmall(f.identity, 64<<10)
		if err != nil {
			return backup.Access{}, err
		}
		defer clear(b)
		ids, err := backup.ParseIdentities(b)
		return backup.Access{Identities: ids}, err
	}
	pass, err := keystore.Source{File: f.archivePassFile, Prompt: "Archive passphrase", Confirm: false}.Passphrase()
	if err != nil {
		return backup.Access{}, err
	}
	defer clear(pass)
	return backup.Passphrase(pass)
}

// newAccess is how a new archive is protected: the recipients given,
// else a passphrase asked twice.
func (f *bkFlags) newAccess() (backup.Access, error) {
	text := strings.Join(f.recipients, "\n")
	if f.recipFile != "" {
		b, err := readSmall(f.recipFile, 64<<10)
		if err != nil {
			return backup.Access{}, err
		}
		text += "\n" + string(b)
	}
	if strings.TrimSpace(text) == "" {
		pass, err := keystore.Source{File: f.archivePassFile, Prompt: "New archive passphrase", Confirm: true}.Passphrase()
		if err != nil {
			return backup.Access{}, err
		}
		defer clear(pass)
		return backup.Passphrase(pass)
	}
	rs, err := backup.ParseRecipients(text)
	return backup.Access{Recipients: rs}, err
}

// target is a folder, or a bucket for an s3:// URL.
func target(ctx context.Context, s string) (backup.Target, error) {
	if strings.HasPrefix(s, "s3://") {
		return backup.OpenS3(ctx, s)
	}
	return backup.Dir(s), nil
}

func (f *bkFlags) open(ctx context.Context) (*backup.Archive, error) {
	t, err := target(ctx, f.from)
	if err != nil {
		return nil, err
	}
	acc, err := f.access()
	if err != nil {
		return nil, err
	}
	return backup.Open(ctx, t, acc)
}

// openOrCreate opens the --to archive, or creates it.
func (f *bkFlags) openOrCreate(ctx context.Context) (*backup.Archive, bool, error) {
	t, err := target(ctx, f.to)
	if err != nil {
		return nil, false, err
	}
	ok, err := t.Has(ctx, backup.KeyFile)
	if err != nil {
		return nil, false, err
	}
	if ok {
		if len(f.recipients) > 0 || f.recipFile != "" {
			return nil, false, rhizome.Errorf("open archive", rhizome.Invalid, "%s holds an archive already: its recipients are fixed; open it with --identity", f.to)
		}
		a, err := f.open(ctx)
		return a, false, err
	}
	acc, err := f.newAccess()
	if err != nil {
		return nil, false, err
	}
	a, err := backup.Create(ctx, t, acc)
	return a, true, err
}

// find is --snapshot, else the latest snapshot (of --did if given).
func (f *bkFlags) find(ctx context.Context, a *backup.Archive) (backup.Snapshot, error) {
	var did syntax.DID
	if f.id.did != "" {
		d, err := plc.ParseDID(f.id.did)
		if err != nil {
			return backup.Snapshot{}, err
		}
		did = d
	}
	return a.Find(ctx, f.snapshot, did)
}

// snapshots are what verify checks: --all, or the one find names.
func (f *bkFlags) snapshots(ctx context.Context, a *backup.Archive) ([]backup.Snapshot, error) {
	if f.all {
		return a.Snapshots(ctx)
	}
	s, err := f.find(ctx, a)
	return []backup.Snapshot{s}, err
}

// bkProgress adapts backup progress to the progress bar or JSON lines.
type bkProgress struct{ p *progress }

func (f *bkFlags) progress() bkProgress {
	mode := progressNone
	switch f.progressMode {
	case "bar":
		mode = progressBar
	case "json":
		mode = progressJSON
	case "":
		if term.IsTerminal(int(os.Stderr.Fd())) {
			mode = progressBar
		}
	}
	p := newProgress(os.Stderr, mode)
	p.line = backupBar
	return bkProgress{p}
}

func (b bkProgress) report(g backup.Progress) {
	force := false
	b.p.update(false, func(c *copyCounts) {
		force = c.Phase != g.Phase
		c.Phase, c.Blocks, c.BlocksTotal, c.Blobs, c.BlobsTotal = g.Phase, g.Blocks, g.BlocksTotal, g.Blobs, g.BlobsTotal
		c.BytesRead, c.BytesWritten = g.BytesRead, g.BytesWritten
	})
	if force {
		b.p.update(true, func(*copyCounts) {})
	}
}

func (b bkProgress) done() {
	if b.p.mode != progressNone {
		b.p.finish()
	}
}

// backupBar is one line: blocks and blobs done of their totals, bytes.
func backupBar(c copyCounts) string {
	const width = 24
	done, total := c.Blocks+c.Blobs, c.BlocksTotal+c.BlobsTotal
	filled := 0
	if total > 0 {
		filled = int(int64(width) * min(done, total) / total)
	}
	return fmt.Sprintf("[%s%s] %d/%d blocks · %d/%d blobs · read %s · wrote %s · %s · %.1fs",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), c.Blocks, c.BlocksTotal, c.Blobs, c.BlobsTotal,
		bytesString(c.BytesRead), bytesString(c.BytesWritten), c.Phase, float64(c.ElapsedMillis)/1000)
}
