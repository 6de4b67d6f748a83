package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

const identityUsage = `usage: rhizome identity COMMAND [FLAGS] [ARGS]

Your identity (a did:plc) under keys you hold, against any pod and any PLC
directory. Every change is signed with your rotation key, submitted, and
verified by reading the DID's log and document back.

commands:
  create --pod URL --handle H --email E     make your recovery phrase and rotation key, store the key
                                            (encrypted), create the account with your key first
  show DID                                  the verified state: keys, services, handle, who can change what
  audit DID [--owner DIDKEY]                check every operation; report what acted against your key
  rotate-signing-key --did DID (--signing-key DIDKEY | --pod URL)
  set-pds --did DID URL [--signing-key DIDKEY | --reserve]
  set-handle --did DID HANDLE
  add-rotation-key --did DID DIDKEY [--position N]
  remove-rotation-key --did DID DIDKEY
  recover --did DID [--from CID] [--keep-keys] [--pds URL] [--dry-run]
                                            undo what lower-priority keys did (within 72 hours)
  backup --did DID --pod URL DIR            save the repository and blobs
  restore --did DID --pod URL --backup DIR --email E [--handle H]
                                            bring the account up on another pod from a backup

common flags:
  --plc URL              PLC directory (default $RHIZOME_PLC_URL or https://plc.directory)
  --keystore DIR         key files (default ~/.config/rhizome/keys)
  --key NAME             your rotation key's name in the keystore (default "rotation")
  --passphrase-file F    the key file's passphrase (else $RHIZOME_PASSPHRASE, else the terminal)
  --phrase-file F        sign with the key of the recovery phrase in F instead of the keystore
  --json                 machine-readable output`

// runIdentity dispatches "rhizome identity SUBCOMMAND".
func runIdentity(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(os.Stderr, identityUsage)
		return nil
	}
	run, ok := identityCommands[args[0]]
	if !ok {
		return usageErr(fmt.Sprintf("unknown identity command %q\n\n%s", args[0], identityUsage))
	}
	f := newIDFlags(args[0])
	pos, err := f.parse(args[1:])
	if err != nil {
		return err
	}
	return run(ctx, f, pos)
}

var identityCommands = map[string]func(context.Context, *idFlags, []string) error{
	"create":              idCreate,
	"show":                idShow,
	"audit":               idAudit,
	"rotate-signing-key":  idRotateSigningKey,
	"set-pds":             idSetPDS,
	"set-handle":          idSetHandle,
	"add-rotation-key":    idAddRotationKey,
	"remove-rotation-key": idRemoveRotationKey,
	"recover":             idRecover,
	"backup":              idBackup,
	"restore":             idRestore,
}

// idFlags are every flag of the identity commands; each command reads the
// ones it needs.
type idFlags struct {
	fs                                              *flag.FlagSet
	plc, pod, keystore, key, passphraseFile, phrase string
	did, handle, email, passwordFile, invite        string
	signingKey, owner, pds, backup, from            string
	position                                        int
	json, reserve, keepKeys, dryRun                 bool
	out                                             io.Writer
}

func newIDFlags(name string) *idFlags {
	f := &idFlags{fs: flag.NewFlagSet("identity "+name, flag.ContinueOnError), out: os.Stdout}
	s := f.fs.StringVar
	s(&f.plc, "plc", envOr("RHIZOME_PLC_URL", plc.DefaultDirectoryURL), "PLC directory URL ($RHIZOME_PLC_URL)")
	s(&f.pod, "pod", "", "pod URL")
	s(&f.keystore, "keystore", "", "keystore folder (default ~/.config/rhizome/keys)")
	s(&f.key, "key", "", `rotation key name in the keystore (default "rotation")`)
	s(&f.passphraseFile, "passphrase-file", "", "file whose first line is the key file's passphrase")
	s(&f.phrase, "phrase-file", "", `file holding the recovery phrase ("-" for standard input)`)
	s(&f.did, "did", "", "the DID to change")
	s(&f.handle, "handle", "", "handle")
	s(&f.email, "email", "", "account email")
	s(&f.passwordFile, "password-file", "", "file whose first line is the account password (else $RHIZOME_ACCOUNT_PASSWORD, else the terminal)")
	s(&f.invite, "invite", "", "invite code")
	s(&f.signingKey, "signing-key", "", "repository signing key (did:key)")
	s(&f.owner, "owner", "", "your rotation key (did:key), for audit and show")
	s(&f.pds, "pds", "", "repoint the DID to this PDS while recovering")
	s(&f.backup, "backup", "", "backup folder")
	s(&f.from, "from", "", "recover: the first operation to nullify (CID; default: the earliest one your key can still undo)")
	f.fs.IntVar(&f.position, "position", -1, "1-based priority of an added rotation key (default: last)")
	f.fs.BoolVar(&f.json, "json", false, "machine-readable output")
	f.fs.BoolVar(&f.reserve, "reserve", false, "set-pds: also name the signing key the new pod reserves for the DID")
	f.fs.BoolVar(&f.keepKeys, "keep-keys", false, "recover/restore: keep the other rotation keys")
	f.fs.BoolVar(&f.dryRun, "dry-run", false, "recover: only say what would be done")
	return f
}

// parse reads flags and positional arguments in any order.
func (f *idFlags) parse(args []string) ([]string, error) {
	f.fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, usageErr(fmt.Sprintf("%s: %v\n\n%s", f.fs.Name(), err, identityUsage))
		}
		args = f.fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// tool is the custody tool on the --plc directory.
func (f *idFlags) tool() *custody.Tool {
	hc := &http.Client{Timeout: 30 * time.Second}
	return &custody.Tool{Dir: &plc.Client{BaseURL: f.plc, HTTP: hc}}
}

// podClient is the --pod (or given) pod.
func (f *idFlags) podClient(u string) *custody.Pod {
	return &custody.Pod{URL: strings.TrimSuffix(u, "/"), HTTP: &http.Client{Timeout: 5 * time.Minute}}
}

// needDID reads --did.
func (f *idFlags) needDID() (syntax.DID, error) {
	if f.did == "" {
		return "", usageErr(f.fs.Name() + ": --did DID is required")
	}
	return plc.ParseDID(f.did)
}

// argDID reads a DID given as the one positional argument or as --did.
func (f *idFlags) argDID(pos []string) (syntax.DID, error) {
	switch {
	case len(pos) == 1 && f.did == "":
		f.did = pos[0]
	case len(pos) > 1 || (len(pos) == 1 && f.did != pos[0]):
		return "", usageErr(f.fs.Name() + ": give one DID")
	}
	return f.needDID()
}

// emit writes v as JSON with --json, else the text human.
func (f *idFlags) emit(v any, human string) error {
	if f.json {
		enc := json.NewEncoder(f.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	_, err := fmt.Fprint(f.out, human)
	return err
}
