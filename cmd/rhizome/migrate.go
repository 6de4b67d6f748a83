package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
)

const migrateUsage = `usage: rhizome migrate --from URL --to URL --account HANDLE|DID [FLAGS]

Move your account from one pod to another, the AT Protocol way: sign in to
the old pod, create the account on the new pod for your DID (deactivated),
copy the repository, the blobs (checked against their CIDs) and your
preferences, point your DID at the new pod, activate the new account,
verify it, and deactivate the old one. Interrupted? Run the same command
again: every step checks what an earlier run did and continues from there.

flags:
  --from URL             the pod the account is on now
  --to URL               the pod it moves to
  --account ID           your handle or DID on the old pod
  --password-file F      your password on the old pod (else $RHIZOME_ACCOUNT_PASSWORD, else the terminal)
  --new-password-file F  the new account's password (default: the same)
  --handle H             the new account's handle (default: the same)
  --email E              the new account's email (default: the same)
  --invite CODE          an invite code of the new pod
  --phrase-file F        sign the identity update with the rotation key of your recovery phrase
  --key NAME             ... or with this key of your keystore (--keystore DIR, --passphrase-file F)
  --plc-token TOKEN      without your own key: the token the old pod sent you (the old pod signs;
                         a reference PDS emails it, a Rhizome pod writes it to its log)
  --plc URL              PLC directory (default $RHIZOME_PLC_URL or https://plc.directory)
  --parallel N           blobs copied at once (default 4)
  --state-dir DIR        where resume notes are kept (default ~/.config/rhizome/migrate)
  --dry-run              check both pods and your credentials, count, say what would be done; change nothing
  --json                 progress and the result as JSON lines on stdout`

// migrateConfig is the parsed command line.
type migrateConfig struct {
	in                                           custody.MigrateInput
	plc, passwordFile, newPasswordFile, stateDir string
	keystore, key, passphraseFile, phrase        string
	json                                         bool
}

func migrateFlags(args []string) (*migrateConfig, error) {
	c := &migrateConfig{}
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var from, to string
	s := fs.StringVar
	s(&from, "from", "", "old pod URL")
	s(&to, "to", "", "new pod URL")
	s(&c.in.Identifier, "account", "", "handle or DID on the old pod")
	s(&c.passwordFile, "password-file", "", "old pod password file")
	s(&c.newPasswordFile, "new-password-file", "", "new account password file")
	s(&c.in.Handle, "handle", "", "new handle")
	s(&c.in.Email, "email", "", "new email")
	s(&c.in.InviteCode, "invite", "", "invite code")
	s(&c.phrase, "phrase-file", "", "recovery phrase file")
	s(&c.key, "key", "", "rotation key name")
	s(&c.keystore, "keystore", "", "keystore folder")
	s(&c.passphraseFile, "passphrase-file", "", "key file passphrase file")
	s(&c.in.PLCToken, "plc-token", "", "PLC operation token from the old pod (emailed, or in a Rhizome pod's log)")
	s(&c.plc, "plc", envOr("RHIZOME_PLC_URL", plc.DefaultDirectoryURL), "PLC directory URL")
	s(&c.stateDir, "state-dir", "", "resume notes folder")
	fs.IntVar(&c.in.Parallel, "parallel", 4, "blobs at once")
	fs.BoolVar(&c.in.DryRun, "dry-run", false, "change nothing")
	fs.BoolVar(&c.json, "json", false, "JSON lines")
	if err := fs.Parse(args); err != nil {
		return nil, usageErr(fmt.Sprintf("migrate: %v\n\n%s", err, migrateUsage))
	}
	if fs.NArg() > 0 || from == "" || to == "" || c.in.Identifier == "" {
		return nil, usageErr(migrateUsage)
	}
	if c.in.Parallel < 1 || c.in.Parallel > 64 {
		return nil, usageErr("migrate: --parallel must be between 1 and 64")
	}
	hc := &http.Client{Timeout: 10 * time.Minute}
	c.in.From = &custody.Pod{URL: strings.TrimSuffix(from, "/"), HTTP: hc}
	c.in.To = &custody.Pod{URL: strings.TrimSuffix(to, "/"), HTTP: hc}
	return c, nil
}

// runMigrate is "rhizome migrate".
func runMigrate(ctx context.Context, args []string) error {
	if len(args) == 1 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(os.Stderr, migrateUsage)
		return nil
	}
	c, err := migrateFlags(args)
	if err != nil {
		return err
	}
	if err := c.secrets(); err != nil {
		return err
	}
	return c.run(ctx, os.Stdout, os.Stderr)
}

// secrets reads the passwords, the user's key and the state folder.
func (c *migrateConfig) secrets() error {
	var err error
	if c.in.Password, err = readAccountPassword(c.passwordFile, false); err != nil {
		return err
	}
	if c.newPasswordFile != "" {
		if c.in.NewPassword, err = readAccountPassword(c.newPasswordFile, false); err != nil {
			return err
		}
	}
	if c.in.Signer, err = c.signer(); err != nil {
		return err
	}
	if c.stateDir == "" {
		dir, err := os.UserConfigDir()
		if err == nil {
			c.stateDir = filepath.Join(dir, "rhizome", "migrate")
		}
	}
	c.in.StateDir = c.stateDir
	return nil
}

// signer is the user's rotation key from --phrase-file or --key (as
// rhizome identity takes them), or nil when neither is given.
func (c *migrateConfig) signer() (keys.Signer, error) {
	if c.phrase == "" && c.key == "" {
		return nil, nil
	}
	f := &idFlags{keystore: c.keystore, key: c.key, passphraseFile: c.passphraseFile, phrase: c.phrase}
	return f.signer()
}

// run migrates, reporting progress as a bar on a terminal (stderr) or as
// JSON lines (stdout, with --json); the last JSON line has done set and
// the result, or the error.
func (c *migrateConfig) run(ctx context.Context, stdout io.Writer, stderr *os.File) error {
	var prog *migrateProgress
	switch {
	case c.json:
		prog = newReport[migrateCounts](stdout, progressJSON)
	case isTerminal(stderr):
		prog = newReport[migrateCounts](stderr, progressBar)
	default:
		prog = newReport[migrateCounts](io.Discard, progressNone)
	}
	c.in.Observer = observe(prog)
	tool := &custody.Tool{Dir: &plc.Client{BaseURL: c.plc, HTTP: &http.Client{Timeout: 30 * time.Second}}}
	res, err := tool.Migrate(ctx, c.in)
	prog.update(false, func(n *migrateCounts) {
		n.Result = res
		if err != nil {
			n.Error = err.Error()
		}
	})
	prog.finish()
	if err != nil || c.json {
		return err
	}
	fmt.Fprint(stdout, migratedText(res))
	return nil
}

// observe turns a migration's news into progress counts.
func observe(p *migrateProgress) custody.Observer {
	return custody.Observer{
		Step: func(name string) { p.phase(name) },
		Totals: func(records, blobs int) {
			p.update(true, func(n *migrateCounts) { n.Records, n.BlobsTotal = records, blobs })
		},
		Blob: func(size int64) {
			p.update(false, func(n *migrateCounts) { n.Blobs++; n.BlobBytes += size })
		},
		Done: func(step, status, detail string) {
			p.update(true, func(n *migrateCounts) { n.StepsDone++; n.Last = step + ": " + status })
		},
	}
}

func migratedText(r *custody.Migrated) string {
	var sb strings.Builder
	if r.DryRun {
		fmt.Fprintf(&sb, "Dry run: nothing was changed. %s (%s): %d records, %d blobs.\n", r.Handle, r.DID, r.Records, r.Blobs)
	} else {
		fmt.Fprintf(&sb, "%s (%s) has moved: %d records, %d blobs (%d copied by this run).\n", r.Handle, r.DID, r.Records, r.Blobs, r.BlobsCopied)
	}
	for _, s := range r.Steps {
		fmt.Fprintf(&sb, "  %-15s %-8s %s\n", s.Name, s.Status, s.Detail)
	}
	return sb.String()
}
