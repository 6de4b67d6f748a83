package store

import (
	"context"
	"time"

	"github.com/rhizome-pds/rhizome/syntax"
)

// Invite is an invite code and what is left of it.
type Invite struct {
	Code      string
	Available int // uses left
	Disabled  bool
	CreatedBy string // "admin" or a DID
	CreatedAt time.Time
	UsedBy    []syntax.DID
}

// Invites stores invite codes. Uses are consumed by CreateAccount.
type Invites interface {
	// CreateInvite stores a new code; Exists if it is taken.
	CreateInvite(ctx context.Context, inv Invite) error
	Invite(ctx context.Context, code string) (Invite, error)
	// ListInvites pages through invites by code (the cursor is a code).
	ListInvites(ctx context.Context, p Page) ([]Invite, error)
	DisableInvite(ctx context.Context, code string) error
}
