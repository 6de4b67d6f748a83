package store

import (
	"context"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// AccountToken is a short-lived, single-use secret given to an account's
// holder to confirm one sensitive action (the reference PDS's emailed
// tokens: "plc_operation" for signPlcOperation). The store keeps only a
// hash of the token; an account has at most one per purpose.
type AccountToken struct {
	DID       syntax.DID
	Purpose   string
	Hash      string // a hash of the token (the caller's choice of hash)
	ExpiresAt time.Time
}

// Check refuses a token that lacks a purpose or a hash (Invalid).
func (t AccountToken) Check() error {
	if t.Purpose == "" || t.Hash == "" {
		return rhizome.E("check account token", rhizome.Invalid, "an account token needs a purpose and a hash")
	}
	return nil
}

// AccountTokens stores account tokens. They go with the account when it
// is deleted.
type AccountTokens interface {
	// PutAccountToken stores t, replacing the account's token for
	// t.Purpose if it has one. NotFound if there is no such account;
	// Invalid if t lacks a purpose or hash.
	PutAccountToken(ctx context.Context, t AccountToken) error
	// TakeAccountToken removes and returns the account's token for
	// purpose if its hash is hash, atomically: of several takers only one
	// gets it. NotFound, and nothing removed, if the account has no token
	// for purpose or its hash is another. An expired token is taken and
	// returned like any other; the caller judges ExpiresAt.
	TakeAccountToken(ctx context.Context, did syntax.DID, purpose, hash string) (AccountToken, error)
}
