package custody

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

// MigrateInput says which account moves from which pod to which.
type MigrateInput struct {
	From, To *Pod
	// Identifier (handle or DID) and Password sign in to the old pod.
	Identifier, Password string
	// The new account's handle, email and password; empty means the old
	// account's (the password: Password).
	Handle, Email, NewPassword, InviteCode string
	// Signer is the user's rotation key, which signs the identity update.
	// Without it the old pod signs it (signPlcOperation), which needs
	// PLCToken, the token that pod sends the account by email.
	Signer   keys.Signer
	PLCToken string
	// Parallel is how many blobs are copied at once (default 4).
	Parallel int
	// DryRun checks both pods and the credentials, counts, and says what
	// a migration would do, changing nothing.
	DryRun bool
	// StateDir is a folder where the migration notes the repository it
	// imported (one file per DID), so that a second run does not import
	// it again; "" keeps no note (a second run then imports again, which
	// is harmless).
	StateDir string
	Observer Observer
}

// Observer hears how a migration goes. Nil fields are allowed.
type Observer struct {
	Step   func(name string)                 // a step starts
	Totals func(records, blobs int)          // the old repository's size
	Blob   func(size int64)                  // a blob was copied and verified
	Done   func(step, status, detail string) // a step ended
}

func (o Observer) step(name string) {
	if o.Step != nil {
		o.Step(name)
	}
}

func (o Observer) totals(records, blobs int) {
	if o.Totals != nil {
		o.Totals(records, blobs)
	}
}

func (o Observer) blob(size int64) {
	if o.Blob != nil {
		o.Blob(size)
	}
}

// Step statuses.
const (
	StepDone    = "done"    // the step changed something
	StepAlready = "already" // found done by an earlier run
	StepWould   = "would"   // a dry run's plan
	StepChecked = "checked" // a check that changes nothing
	StepSkipped = "skipped" // a pod cannot do it; the detail says why
)

// Step is one step's outcome.
type Step struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// Migrated is what a migration did, or in a dry run would do.
type Migrated struct {
	DID    syntax.DID `json:"did,omitempty"` // empty if the old pod refused the sign-in
	Handle string     `json:"handle"`
	DryRun bool       `json:"dryRun"`
	// Records and Blobs count the old repository; BlobsCopied and
	// BlobBytes what this run copied.
	Records     int    `json:"records"`
	Blobs       int    `json:"blobs"`
	BlobsCopied int    `json:"blobsCopied"`
	BlobBytes   int64  `json:"blobBytes"`
	PLCOp       string `json:"plcOp,omitempty"` // the identity update this run made
	Steps       []Step `json:"steps"`
}

// opMigrate names a migration's errors, which say the step that failed;
// the steps' own errors have no op of their own (opStep), so the message
// reads "migrate account: sign in: the old pod refused ...".
const (
	opMigrate = "migrate account"
	opStep    = ""
)

// migration is one run's working state.
type migration struct {
	t   *Tool
	in  MigrateInput
	res *Migrated

	from, to      string // the pods' endpoints
	toDID         string // the new pod's service DID
	did           syntax.DID
	old, cur      *Session // signed in to the old and the new pod
	exists        bool     // the account exists on the new pod
	oldData       string   // the old repository's MST root
	fromKey       keys.PublicKey
	newEndpoint   string
	newSigningKey string
	didPDS        string // the PDS the DID named when the run began
}

// Migrate moves an account from in.From to in.To the AT Protocol way:
// sign in to the old pod; create the account on the new pod for the
// existing DID (deactivated) on a service token from the old pod; import
// the repository; copy the blobs the new pod lists as missing (in
// parallel, each checked against its CID); copy the preferences; point
// the DID at the new pod (signed by the user's rotation key, or by the
// old pod); activate the new account; verify it; deactivate the old.
//
// Every step first checks whether an earlier run did it, so running
// Migrate again after an interruption continues where it stopped.
func (t *Tool) Migrate(ctx context.Context, in MigrateInput) (*Migrated, error) {
	if in.Parallel <= 0 {
		in.Parallel = 4
	}
	m := &migration{t: t, in: in, res: &Migrated{DryRun: in.DryRun, Steps: []Step{}}}
	steps := []struct {
		name string
		fn   func(context.Context) (string, string, error)
	}{
		{"sign in", m.signIn},
		{"account", m.account},
		{"repository", m.repository},
		{"blobs", m.blobs},
		{"preferences", m.preferences},
		{"identity", m.identity},
		{"activate", m.activate},
		{"verify", m.verify},
		{"deactivate old", m.deactivateOld},
	}
	for _, s := range steps {
		in.Observer.step(s.name)
		status, detail, err := s.fn(ctx)
		if err != nil {
			return m.res, rhizome.Errorf(opMigrate, rhizome.KindOf(err), "%s: %w", s.name, err)
		}
		m.res.Steps = append(m.res.Steps, Step{Name: s.name, Status: status, Detail: detail})
		if in.Observer.Done != nil {
			in.Observer.Done(s.name, status, detail)
		}
	}
	return m.res, nil
}

// newPassword is the new account's password.
func (m *migration) newPassword() string {
	if m.in.NewPassword != "" {
		return m.in.NewPassword
	}
	return m.in.Password
}

// journal is what the State file keeps.
type journal struct {
	DID    syntax.DID `json:"did"`
	To     string     `json:"to"`
	Data   string     `json:"data"`   // the old repository's tree that was imported
	Commit string     `json:"commit"` // the new pod's commit right after the import
}

// journalPath is the DID's journal file; "" without a StateDir.
func (m *migration) journalPath() string {
	if m.in.StateDir == "" {
		return ""
	}
	return filepath.Join(m.in.StateDir, strings.ReplaceAll(string(m.did), ":", "_")+".json")
}

func (m *migration) readJournal() journal {
	var j journal
	path := m.journalPath()
	if path == "" {
		return j
	}
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &j) != nil || j.DID != m.did || j.To != m.to {
		return journal{}
	}
	return j
}

func (m *migration) writeJournal(j journal) error {
	path := m.journalPath()
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return rhizome.E(opStep, rhizome.Other, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return rhizome.E(opStep, rhizome.Other, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return rhizome.E(opStep, rhizome.Other, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return rhizome.E(opStep, rhizome.Other, err)
	}
	return nil
}

// would is a dry run's answer for a step that would change something.
func would(format string, args ...any) (string, string, error) {
	return StepWould, fmt.Sprintf(format, args...), nil
}

func already(format string, args ...any) (string, string, error) {
	return StepAlready, fmt.Sprintf(format, args...), nil
}

func done(format string, args ...any) (string, string, error) {
	return StepDone, fmt.Sprintf(format, args...), nil
}
