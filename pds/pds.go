package pds

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mst"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Config is what a pod is told at start.
type Config struct {
	// PublicURL is where clients reach the pod, e.g. https://pod.example.
	PublicURL string
	// HandleDomains are the suffixes (".example") of handles the pod gives
	// out. Empty means one derived from PublicURL, or ".test" for a pod on
	// localhost.
	HandleDomains  []string
	InviteRequired bool
	// MaxBlobSize bounds uploadBlob (default 50 MiB).
	MaxBlobSize int64
	// TempBlobGrace is how long an unreferenced blob is kept (default 1 h).
	TempBlobGrace time.Duration
	// RotationKeys are the did:keys the pod signs its accounts' PLC
	// operations with, recommended to accounts moving here
	// (getRecommendedDidCredentials).
	RotationKeys []string
	Logger       *slog.Logger
}

// Schemas validates records against lexicons.
type Schemas interface {
	// ValidateRecord checks rec against the record schema of coll. It
	// returns a NotFound error if the pod has no schema for coll.
	ValidateRecord(coll syntax.NSID, rec map[string]any) error
	// ValidateRecordKey checks rkey against the key type of coll's schema.
	ValidateRecordKey(coll syntax.NSID, rkey syntax.RecordKey) error
}

// Identities creates and updates the DIDs of the pod's accounts.
type Identities interface {
	// CreateDID makes a DID whose document names signing as the atproto
	// key, handle as its handle and the pod as its PDS; recovery, if not
	// empty, is a did:key placed first among the rotation keys.
	CreateDID(ctx context.Context, signing keys.PublicKey, handle syntax.Handle, recovery string) (syntax.DID, error)
	// UpdateHandle points the DID's document at a new handle.
	UpdateHandle(ctx context.Context, did syntax.DID, handle syntax.Handle) error
	// SigningKey resolves the current repository key of any DID.
	SigningKey(ctx context.Context, did syntax.DID) (keys.PublicKey, error)
	// Document returns the DID document of any DID, as JSON.
	Document(ctx context.Context, did syntax.DID) (json.RawMessage, error)
	// ResolveHandle finds the DID a handle (of any host) names.
	ResolveHandle(ctx context.Context, h syntax.Handle) (syntax.DID, error)
}

// ResolveHandle resolves a handle, answering for the pod's own accounts
// without leaving the process.
func (p *PDS) ResolveHandle(ctx context.Context, h syntax.Handle) (syntax.DID, error) {
	if a, err := p.store.AccountByHandle(ctx, h); err == nil {
		return a.DID, nil
	}
	did, err := p.ids.ResolveHandle(ctx, h)
	if rhizome.Is(err, rhizome.NotFound) {
		return "", rhizome.E("resolve handle", rhizome.NotFound, "unable to resolve handle").Named("HandleNotFound")
	}
	return did, err
}

// DIDDocument returns a DID's document.
func (p *PDS) DIDDocument(ctx context.Context, did syntax.DID) (json.RawMessage, error) {
	return p.ids.Document(ctx, did)
}

// PDS is one pod. It is safe for concurrent use.
type PDS struct {
	cfg       Config
	did       string // the pod's own service DID (did:web)
	store     store.Store
	blobs     blobstore.Store
	keyring   *keys.Keyring
	ids       Identities
	schemas   Schemas
	sessions  *auth.Sessions
	clock     *syntax.TIDClock
	cache     *mst.Cache
	log       *slog.Logger
	locks     keyedMutex
	blobLocks keyedMutex
	mu        sync.Mutex
	repos     map[syntax.DID]*cachedRepo
	signers   map[syntax.DID]keys.Signer
	reserved  ReservedKeys
	onEvent   func()
	turns     RepoTurns // nil: one node, or a store without turns (turn.go)
}

// Deps are the parts a PDS is assembled from.
type Deps struct {
	Store      store.Store
	Blobs      blobstore.Store
	Keyring    *keys.Keyring
	Identities Identities
	Schemas    Schemas
	// Secret signs session tokens; it must stay the same across restarts.
	Secret []byte
	// OnEvent, if set, is called after every write that appended events to
	// the log (the firehose's wake-up). It must not block.
	OnEvent func()
	// Reserved keeps reserved signing keys; nil keeps them in memory.
	Reserved ReservedKeys
	// Turns, if set, orders writers of a repository across nodes
	// (turn.go).
	Turns RepoTurns
}

// New assembles a PDS.
func New(cfg Config, d Deps) (*PDS, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, rhizome.Errorf("start pds", rhizome.Invalid, "public URL %q is not an http(s) URL", cfg.PublicURL)
	}
	if cfg.MaxBlobSize <= 0 {
		cfg.MaxBlobSize = 50 << 20
	}
	if cfg.TempBlobGrace < time.Hour {
		cfg.TempBlobGrace = time.Hour
	}
	if len(cfg.HandleDomains) == 0 {
		cfg.HandleDomains = []string{defaultHandleDomain(u.Hostname())}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	did := "did:web:" + strings.ReplaceAll(u.Host, ":", "%3A")
	p := &PDS{cfg: cfg, did: did, store: d.Store, blobs: d.Blobs, keyring: d.Keyring, ids: d.Identities,
		schemas: d.Schemas, sessions: auth.NewSessions(d.Secret, did), clock: syntax.NewTIDClock(syntax.RandomClockID()),
		cache: mst.NewCache(1 << 17), log: cfg.Logger,
		repos: make(map[syntax.DID]*cachedRepo), signers: make(map[syntax.DID]keys.Signer), onEvent: d.OnEvent,
		reserved: d.Reserved}
	if p.reserved == nil {
		p.reserved = &memReserved{m: map[syntax.DID][]byte{}}
	}
	p.turns = d.Turns
	return p, nil
}

func defaultHandleDomain(host string) string {
	if host == "localhost" || strings.Trim(host, "0123456789.:[]abcdef") == "" {
		return ".test"
	}
	return "." + host
}

// DID returns the pod's service DID.
func (p *PDS) DID() string { return p.did }

// Config returns the pod's configuration with defaults filled in.
func (p *PDS) Config() Config { return p.cfg }

// Sessions returns the session token issuer, for the XRPC layer to verify
// bearer tokens.
func (p *PDS) Sessions() *auth.Sessions { return p.sessions }

// Store returns the record store (admin commands read it directly).
func (p *PDS) Store() store.Store { return p.store }

// keyedMutex serialises work per key.
type keyedMutex struct {
	mu sync.Mutex
	m  map[syntax.DID]*lockEntry
}

type lockEntry struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key syntax.DID) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[syntax.DID]*lockEntry)
	}
	e := k.m[key]
	if e == nil {
		e = &lockEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
