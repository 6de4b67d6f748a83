package store

import (
	"context"
	"time"

	"github.com/rhizome-pds/rhizome/syntax"
)

// Status is the hosting status of an account, as com.atproto.sync.getRepoStatus
// and the #account event report it.
type Status string

// Account statuses. Deleted accounts are removed, not kept with a status.
const (
	Active      Status = "active"
	Deactivated Status = "deactivated"
	Takendown   Status = "takendown"
	Suspended   Status = "suspended"
)

// Account is a user hosted by the pod.
type Account struct {
	DID    syntax.DID
	Handle syntax.Handle
	// Email is stored as given; lookups by email ignore case.
	Email string
	// PasswordHash is a self-describing hash (PHC string); the store never
	// interprets it.
	PasswordHash string
	// SigningKey is the account's repository signing key, sealed by the
	// pod's keyring. The store keeps it opaque.
	SigningKey []byte
	Status     Status
	CreatedAt  time.Time
}

// NewAccount is everything CreateAccount writes in one transaction.
type NewAccount struct {
	Account Account
	// Genesis is the repository's first commit (Prev must be zero).
	Genesis Commit
	// InviteCode, if set, is used up by this account: CreateAccount fails
	// with NotFound if the code does not exist and Conflict if it has no
	// uses left, and writes nothing.
	InviteCode string
	// Events are appended in order, in the same transaction, before the
	// genesis commit's own event (#identity and #account, then #commit).
	Events []Event
}

// AccountUpdate changes the fields that are set (non-nil).
type AccountUpdate struct {
	Handle       *syntax.Handle
	Email        *string
	PasswordHash *string
	Status       *Status
	// Events are appended in the same transaction, only if the update
	// applies.
	Events []Event
}

// Accounts stores accounts. A handle and an email (case-insensitively)
// belong to at most one account: a clash is an Exists error.
type Accounts interface {
	// CreateAccount writes the account, its repository's genesis commit and,
	// if given, the invite use, atomically. Exists if the DID, handle or
	// email is taken.
	CreateAccount(ctx context.Context, a NewAccount) (seq int64, err error)
	Account(ctx context.Context, did syntax.DID) (Account, error)
	AccountByHandle(ctx context.Context, h syntax.Handle) (Account, error)
	AccountByEmail(ctx context.Context, email string) (Account, error)
	UpdateAccount(ctx context.Context, did syntax.DID, u AccountUpdate) error
	// DeleteAccount removes the account and everything stored for it:
	// repository, record index, sessions, app passwords, blob metadata,
	// and appends events (the #account deletion) in the same transaction.
	// The account's earlier events leave the log too, as the reference PDS
	// does: a deleted account's records are not replayable from the
	// firehose. Sequence numbers are never reused. Stores that keep the
	// OAuth server's state delete the account's grants too.
	DeleteAccount(ctx context.Context, did syntax.DID, events ...Event) error
	// ListAccounts pages through accounts by DID (the cursor is a DID).
	ListAccounts(ctx context.Context, p Page) ([]Account, error)
}

// Replica is the status of an account this pod keeps as a read-only copy
// of a repository hosted elsewhere (package replica): readable like an
// active one, never writable, and silent on the pod's firehose until it
// is promoted to Active.
const Replica Status = "replica"
