package replica

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Deps is what a Manager works with.
type Deps struct {
	PDS     *pds.PDS
	Inspect pds.DIDInspector
	// Handle is the DID's handle for the replica's account row.
	Handle func(ctx context.Context, did syntax.DID) (syntax.Handle, error)
	// Client returns the HTTP client for a primary's base URL; it must
	// guard the addresses it dials (identity.GuardedClient).
	Client func(base string) *http.Client
	Dir    string // the data folder; states live in Dir/replicas
	Log    *slog.Logger
}

// Manager runs the pod's followers and answers the admin methods.
type Manager struct {
	d   Deps
	dir stateDir
	log *slog.Logger

	mu   sync.Mutex
	base context.Context // the followers' context (set by Start)
	fs   map[syntax.DID]*Follower
}

// New returns a Manager; Start starts its followers.
func New(d Deps) *Manager {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Manager{d: d, dir: stateDir(filepath.Join(d.Dir, "replicas")), log: d.Log, fs: map[syntax.DID]*Follower{}}
}

// Start starts a follower for every saved replica; they run until ctx
// ends or Close.
func (m *Manager) Start(ctx context.Context) error {
	states, err := m.dir.all()
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.base = ctx
	m.mu.Unlock()
	for _, s := range states {
		m.start(m.follower(s))
	}
	return nil
}

// Close stops every follower.
func (m *Manager) Close() {
	m.mu.Lock()
	fs := make([]*Follower, 0, len(m.fs))
	for _, f := range m.fs {
		fs = append(fs, f)
	}
	m.fs = map[syntax.DID]*Follower{}
	m.mu.Unlock()
	for _, f := range fs {
		f.stop()
	}
}

func (m *Manager) follower(s State) *Follower {
	return &Follower{m: m, did: s.DID, st: s, pr: primary{base: s.Primary, hc: m.d.Client(s.Primary)}, done: make(chan struct{})}
}

func (m *Manager) start(f *Follower) {
	m.mu.Lock()
	defer m.mu.Unlock()
	base := m.base
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := context.WithCancel(base)
	f.cancel = cancel
	m.fs[f.did] = f
	go f.run(ctx)
}

// take removes did's follower from the running set and stops it.
func (m *Manager) take(did syntax.DID) *Follower {
	m.mu.Lock()
	f := m.fs[did]
	delete(m.fs, did)
	m.mu.Unlock()
	if f != nil {
		f.stop()
	}
	return f
}

const opAdd = "add replica"

// Add makes this pod keep a replica of did copied from primaryURL: it
// fetches and verifies the repository and its blobs now (so an
// unreachable primary or a bad repository fails here), then follows.
func (m *Manager) Add(ctx context.Context, did syntax.DID, primaryURL string) (Info, error) {
	base, err := checkURL(primaryURL)
	if err != nil {
		return Info{}, err
	}
	m.mu.Lock()
	_, running := m.fs[did]
	m.mu.Unlock()
	if _, err := m.d.PDS.Store().Account(ctx, did); err == nil || running {
		return Info{}, rhizome.Errorf(opAdd, rhizome.Exists, "%s already has an account or a replica here", did).Named("AlreadyExists")
	}
	f := m.follower(State{DID: did, Primary: base})
	if err := f.refreshKey(ctx); err != nil {
		return Info{}, err
	}
	if err := f.resync(ctx); err != nil {
		if _, aerr := m.d.PDS.Store().Account(ctx, did); aerr == nil {
			m.d.PDS.RemoveReplica(context.WithoutCancel(ctx), did)
		}
		return Info{}, rhizome.Errorf(opAdd, rhizome.KindOf(err), "initial copy of %s from %s: %w", did, base, err).Named(rhizome.NameOf(err))
	}
	if err := m.dir.save(f.st); err != nil {
		return Info{}, err
	}
	m.start(f)
	m.log.Info("replica added", "did", did, "primary", base)
	return m.info(ctx, f)
}

// checkURL accepts an http(s) base URL.
func checkURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return "", rhizome.Errorf(opAdd, rhizome.Invalid, "the primary must be an http(s) URL, not %q", s)
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

// Info is one replica as listReplicas reports it.
type Info struct {
	DID           syntax.DID `json:"did"`
	Primary       string     `json:"primary"`
	Rev           string     `json:"rev"`
	Commit        string     `json:"commit"`
	Cursor        int64      `json:"cursor"`
	LastCommit    string     `json:"lastCommitAt,omitempty"`  // when the last commit was applied
	LagMillis     int64      `json:"lagMs"`                   // the primary's event time to applied, last commit
	Error         string     `json:"error,omitempty"`         // why following stopped, if it did
	PrimaryStatus string     `json:"primaryStatus,omitempty"` // the primary's last #account status of the DID
	SigningKey    string     `json:"signingKey"`              // the key a promotion names (did:key)
	Endpoint      string     `json:"endpoint"`                // this pod's public URL, the PDS a promotion names
}

func (m *Manager) info(ctx context.Context, f *Follower) (Info, error) {
	h, err := m.d.PDS.Store().Head(ctx, f.did)
	if err != nil {
		return Info{}, err
	}
	key, err := m.d.PDS.ReplicaKey(ctx, f.did)
	if err != nil {
		return Info{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	in := Info{DID: f.did, Primary: f.st.Primary, Rev: string(h.Rev), Commit: h.Commit.String(), Cursor: f.st.Cursor,
		LagMillis: f.lag.Milliseconds(), Error: f.lastErr, PrimaryStatus: f.primaryOK, SigningKey: key.DIDKey(),
		Endpoint: m.d.PDS.Config().PublicURL}
	if !f.lastApply.IsZero() {
		in.LastCommit = f.lastApply.UTC().Format(time.RFC3339Nano)
	}
	return in, nil
}

// List reports every replica, by DID.
func (m *Manager) List(ctx context.Context) ([]Info, error) {
	m.mu.Lock()
	fs := make([]*Follower, 0, len(m.fs))
	for _, f := range m.fs {
		fs = append(fs, f)
	}
	m.mu.Unlock()
	sort.Slice(fs, func(i, j int) bool { return fs[i].did < fs[j].did })
	out := make([]Info, 0, len(fs))
	for _, f := range fs {
		in, err := m.info(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

// Remove stops following did and deletes the replica.
func (m *Manager) Remove(ctx context.Context, did syntax.DID) error {
	f := m.take(did)
	if err := m.d.PDS.RemoveReplica(ctx, did); err != nil {
		if f != nil {
			m.start(m.follower(f.state()))
		}
		return err
	}
	return m.dir.remove(did)
}

// Promote makes the replica of did an active account with password, once
// its DID names this pod and the replica's key. The follower stops first
// (and starts again if the promotion fails).
func (m *Manager) Promote(ctx context.Context, did syntax.DID, password string) error {
	f := m.take(did)
	err := m.d.PDS.PromoteReplica(ctx, did, password)
	if err != nil {
		if f != nil {
			m.start(m.follower(f.state()))
		}
		return err
	}
	m.log.Info("replica promoted", "did", did)
	return m.dir.remove(did)
}
