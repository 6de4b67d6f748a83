package server

import (
	"context"
	"time"

	"github.com/rhizome-pds/rhizome/syntax"
)

// Account is who signed in.
type Account struct {
	DID    syntax.DID
	Handle syntax.Handle // "" when unknown
}

// Accounts checks the pod's credentials. The pod implements it with its
// password hashes (package auth); a wrong identifier or password is an
// error of kind rhizome.Unauthorized, which the sign-in page reports
// without saying which of the two was wrong.
type Accounts interface {
	Authenticate(ctx context.Context, identifier, password string) (Account, error)
}

// Request is a pushed authorization request (PAR), from the PAR endpoint
// until its code is exchanged. ID is the secret part of the request_uri.
type Request struct {
	ID            string
	ClientID      string
	RedirectURI   string
	State         string
	Scope         string // as requested; includes not expanded
	CodeChallenge string // S256
	ResponseMode  string // "query" or "fragment"
	JKT           string // the DPoP key the PAR was made with
	// ClientJKT is the thumbprint of the key a confidential client signed
	// the PAR's client assertion with, "" for a public client: the code
	// exchange must be signed by the same key.
	ClientJKT string
	LoginHint string
	ExpiresAt time.Time

	// Set by the sign-in step.
	DID    syntax.DID
	Handle syntax.Handle
	Device string // hash of the browser cookie that signed in

	// Set on approval: the hash of the authorization code.
	CodeHash string
}

// Family is a grant: what one approval gave one client for one account,
// and the token family it started. Its refresh token rotates on every
// use; only the hash of the current one is kept. Revoking the family
// ends the grant: its access and refresh tokens stop working at once.
type Family struct {
	ID       string
	DID      syntax.DID
	ClientID string
	Scope    string // the granted scope string, includes not expanded
	JKT      string // the DPoP key every token of the family is bound to
	// ClientJKT is the thumbprint of the client authentication key a
	// confidential client started the grant with, "" for a public client.
	// Every refresh must be authenticated by that key, and the grant ends
	// when the key leaves the client's metadata.
	ClientJKT   string
	RefreshHash string
	CreatedAt   time.Time
	RefreshedAt time.Time
	ExpiresAt   time.Time // the end of the session; refreshing does not extend it
	RevokedAt   time.Time // zero while active
}

// Active reports whether the family may still be used at now.
func (f *Family) Active(now time.Time) bool {
	return f.RevokedAt.IsZero() && now.Before(f.ExpiresAt)
}

// Store keeps the server's state. Methods return errors of kind
// rhizome.NotFound for what is missing and rhizome.Conflict when a
// compare-and-swap fails. Requests past their ExpiresAt (by the store's
// wall clock) count as missing, and the store drops them as new ones
// arrive. The pod implements it over SQLite or PostgreSQL (store/sqlite,
// store/postgres: db.OAuth()); [MemoryStore] serves one process and the
// tests; package servertest is the conformance suite.
type Store interface {
	// PutRequest creates or replaces a request.
	PutRequest(ctx context.Context, r *Request) error
	// Request returns a request by ID.
	Request(ctx context.Context, id string) (*Request, error)
	// DeleteRequest removes a request; a missing one is not an error.
	DeleteRequest(ctx context.Context, id string) error
	// TakeCode returns the request whose CodeHash is codeHash and deletes
	// it, atomically: a code is good once.
	TakeCode(ctx context.Context, codeHash string) (*Request, error)

	// PutFamily creates a grant; an existing ID is an error of kind
	// rhizome.Exists.
	PutFamily(ctx context.Context, f *Family) error
	// Family returns a grant by ID, revoked or not.
	Family(ctx context.Context, id string) (*Family, error)
	// Families lists an account's grants, revoked or not, newest
	// (CreatedAt) first.
	Families(ctx context.Context, did syntax.DID) ([]*Family, error)
	// Rotate replaces a grant's refresh hash old by new if old is still
	// current and the grant is not revoked (Conflict otherwise).
	Rotate(ctx context.Context, id, oldHash, newHash string, at time.Time) error
	// Revoke marks a grant revoked at at; revoking twice is not an error
	// and keeps the first time.
	Revoke(ctx context.Context, id string, at time.Time) error
	// PruneFamilies deletes the grants that ended before before: revoked
	// then, or expired then. It returns how many it deleted.
	PruneFamilies(ctx context.Context, before time.Time) (int, error)
}
