package store

import (
	"context"
	"time"

	"github.com/rhizome-pds/rhizome/syntax"
)

// RefreshToken is a long-lived session credential, stored by its ID (the
// token's jti); the token itself is never stored.
type RefreshToken struct {
	ID  string
	DID syntax.DID
	// AppPassword names the app password the session was opened with, or
	// is empty for a full (account password) session.
	AppPassword string
	ExpiresAt   time.Time
	// NextID is set once the token has been rotated: the ID that replaced
	// it. A rotated token stays valid until its (shortened) expiry so a
	// client retrying a refresh gets the same successor.
	NextID string
}

// AppPassword is a named, revocable password for one app.
type AppPassword struct {
	DID          syntax.DID
	Name         string
	PasswordHash string
	Privileged   bool
	CreatedAt    time.Time
}

// Sessions stores refresh tokens and app passwords.
type Sessions interface {
	PutRefreshToken(ctx context.Context, t RefreshToken) error
	// RefreshToken returns a token that has not expired; NotFound otherwise.
	RefreshToken(ctx context.Context, id string) (RefreshToken, error)
	// ListRefreshTokens pages through the account's tokens that have not
	// expired, by ID (the cursor is an ID). Moving a pod to another store
	// (rhizome store copy) reads sessions through it.
	ListRefreshTokens(ctx context.Context, did syntax.DID, p Page) ([]RefreshToken, error)
	// RotateRefreshToken atomically marks old as replaced by next (setting
	// old.NextID and moving old's expiry to oldExpires if that is sooner)
	// and stores next. Conflict if old was already rotated; NotFound if old
	// is absent or expired.
	RotateRefreshToken(ctx context.Context, old string, next RefreshToken, oldExpires time.Time) error
	DeleteRefreshToken(ctx context.Context, id string) error
	// DeleteRefreshTokens removes the account's tokens: all of them if
	// appPassword is empty, else those opened with that app password.
	DeleteRefreshTokens(ctx context.Context, did syntax.DID, appPassword string) error

	// CreateAppPassword stores p; Exists if the account has one by that name.
	CreateAppPassword(ctx context.Context, p AppPassword) error
	// AppPasswords lists the account's app passwords by name.
	AppPasswords(ctx context.Context, did syntax.DID) ([]AppPassword, error)
	// DeleteAppPassword removes the app password and the sessions opened
	// with it; NotFound if there is none by that name.
	DeleteAppPassword(ctx context.Context, did syntax.DID, name string) error
}
