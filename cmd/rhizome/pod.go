package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/firehose"
	"github.com/rhizome-pds/rhizome/identity"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/lexicon"
	oauth "github.com/rhizome-pds/rhizome/oauth/server"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/replica"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/xrpc"
)

// pod is a running pod's parts, as main wires them.
type pod struct {
	store    store.Store
	pds      *pds.PDS
	xrpc     *xrpc.Server
	oauth    *oauth.Server // the authorization server (/oauth/, two well-known documents)
	hub      *firehose.Hub
	crawlers *firehose.Crawlers // nil without --crawlers
	replicas *replica.Manager
	plc      http.Handler // the embedded directory, if any
	plcDir   plcDirectory // the directory identities are kept in
	cfg      *serveConfig
	log      *slog.Logger
}

func openPod(ctx context.Context, cfg *serveConfig, log *slog.Logger) (*pod, error) {
	st, err := openStore(ctx, cfg.db)
	if err != nil {
		return nil, err
	}
	p, err := assemble(ctx, cfg, log, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	p.markSweptIfEmpty(ctx)
	return p, nil
}

func assemble(ctx context.Context, cfg *serveConfig, log *slog.Logger, st store.Store) (*pod, error) {
	blobs, err := openBlobs(ctx, cfg.blobs)
	if err != nil {
		return nil, err
	}
	kr, err := keys.LoadOrCreateKeyring(filepath.Join(cfg.data, "keyring.key"))
	if err != nil {
		return nil, err
	}
	secret, err := loadOrCreateSecret(filepath.Join(cfg.data, "session.secret"))
	if err != nil {
		return nil, err
	}
	rotation, err := hostRotationKey(kr, filepath.Join(cfg.data, "plc-rotation.key"))
	if err != nil {
		return nil, err
	}
	ids, plcHandler, err := newIdentities(cfg, st, rotation)
	if err != nil {
		return nil, err
	}
	schemas, err := lexicon.Embedded()
	if err != nil {
		return nil, err
	}
	lim, err := cfg.limits()
	if err != nil {
		return nil, err
	}
	lim.Shared = sharedRates(st)
	hub := firehose.NewHub(st, firehose.Options{Logger: log})
	crawlers, err := newCrawlers(cfg, log)
	if err != nil {
		return nil, err
	}
	onEvent := hub.Notify
	if crawlers != nil {
		onEvent = func() { hub.Notify(); crawlers.Notify() }
	}
	reserved, err := newReservedDir(filepath.Join(cfg.data, "reserved-keys"))
	if err != nil {
		return nil, err
	}
	p, err := pds.New(pds.Config{PublicURL: cfg.publicURL, HandleDomains: cfg.domains(), InviteRequired: cfg.inviteRequired, Logger: log,
		RotationKeys: []string{rotation.PublicKey().DIDKey()}},
		pds.Deps{Store: st, Blobs: blobs, Keyring: kr, Identities: ids, Schemas: schemas, Secret: secret, OnEvent: onEvent, Reserved: reserved,
			Turns: repoTurns(st)})
	if err != nil {
		return nil, err
	}
	as, err := newOAuth(cfg, st, p, ids.resolver)
	if err != nil {
		return nil, err
	}
	reps := newReplicas(cfg, p, ids, log)
	x := xrpc.New(p, xrpc.Options{AdminPassword: cfg.adminPassword, Limits: lim, Logger: log,
		Services: ids.service, ProxyClient: identity.GuardedClient(false, 30*time.Second), Firehose: hub, OAuth: as, Replicas: reps})
	return &pod{store: st, pds: p, xrpc: x, oauth: as, hub: hub, crawlers: crawlers, replicas: reps, plc: plcHandler, plcDir: ids.dir, log: log, cfg: cfg}, nil
}

// newCrawlers returns the relays' notifier, or nil without --crawlers.
// Relays are reached through the address guard; loopback is allowed only
// when every relay is on loopback (local development and tests).
func newCrawlers(cfg *serveConfig, log *slog.Logger) (*firehose.Crawlers, error) {
	relays := cfg.relays()
	if len(relays) == 0 {
		return nil, nil
	}
	u, err := url.Parse(cfg.publicURL)
	if err != nil {
		return nil, rhizome.E("start crawlers", rhizome.Invalid, err)
	}
	loopback := true
	for _, r := range relays {
		loopback = loopback && isLoopbackURL(r)
	}
	return firehose.NewCrawlers(relays, u.Hostname(), identity.GuardedClient(loopback, 30*time.Second), log), nil
}

// newIdentities wires the PLC directory (in process or remote) and the
// resolver.
func newIdentities(cfg *serveConfig, st store.Store, rotation keys.Signer) (*identities, http.Handler, error) {
	rc := identity.Config{PLCURL: cfg.plcURL, AllowLocalhostWeb: true}
	var dir plcDirectory
	var handler http.Handler
	if cfg.plcURL == "embedded" {
		d := plc.NewDirectory(st, time.Now)
		dir, handler = d, d.Handler()
		rc.PLCURL = "http://" + embeddedPLCHost
		base := identity.GuardedClient(false, identity.DefaultTimeout)
		rc.HTTPClient = &http.Client{Timeout: identity.DefaultTimeout,
			Transport: inProcess{host: embeddedPLCHost, handler: handler, next: base.Transport}}
	} else {
		client := identity.GuardedClient(isLoopbackURL(cfg.plcURL), identity.DefaultTimeout)
		dir = &plc.Client{BaseURL: cfg.plcURL, HTTP: client}
		rc.AllowLoopback = isLoopbackURL(cfg.plcURL)
	}
	res, err := identity.NewResolver(rc)
	if err != nil {
		return nil, nil, err
	}
	return &identities{dir: dir, rotation: rotation, pdsURL: cfg.publicURL, resolver: res}, handler, nil
}

// newReplicas wires package replica: primaries are reached through the
// address guard, loopback allowed only for a primary on loopback.
func newReplicas(cfg *serveConfig, p *pds.PDS, ids *identities, log *slog.Logger) *replica.Manager {
	return replica.New(replica.Deps{PDS: p, Inspect: ids, Dir: cfg.data, Log: log,
		Client: func(base string) *http.Client { return identity.GuardedClient(isLoopbackURL(base), 10*time.Minute) },
		Handle: func(ctx context.Context, did syntax.DID) (syntax.Handle, error) {
			id, err := ids.resolver.ResolveIdentity(ctx, syntax.AtIdentifier(did))
			if err != nil {
				return "", err
			}
			if id.Handle != syntax.HandleInvalid {
				return id.Handle, nil
			}
			return syntax.ParseHandle(strings.ToLower(string(id.Doc.Handle)))
		}})
}

func isLoopbackURL(u string) bool {
	return strings.HasPrefix(u, "http://127.") || strings.HasPrefix(u, "http://localhost") || strings.HasPrefix(u, "http://[::1]")
}

// loadOrCreateSecret reads the session-token secret, making one on first run.
func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b = auth.NewSecret()
		err = os.WriteFile(path, b, 0o600)
	}
	if err != nil {
		return nil, rhizome.E("load session secret", rhizome.Other, err)
	}
	if len(b) < 32 {
		return nil, rhizome.Errorf("load session secret", rhizome.Corrupt, "%s is too short", path)
	}
	return b, nil
}

// hostRotationKey loads the pod's PLC rotation key, sealed by the keyring,
// creating it on first run.
func hostRotationKey(kr *keys.Keyring, path string) (keys.Signer, error) {
	const label = "plc-rotation"
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		s, err := keys.Generate(keys.K256)
		if err != nil {
			return nil, err
		}
		sealed, err := kr.Seal(s, label)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, sealed, 0o600); err != nil {
			return nil, rhizome.E("create rotation key", rhizome.Other, err)
		}
		return s, nil
	}
	if err != nil {
		return nil, rhizome.E("load rotation key", rhizome.Other, err)
	}
	return kr.Open(b, label)
}

// handler is the pod's whole HTTP surface.
func (p *pod) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/xrpc/", p.xrpc)
	mux.Handle("GET /metrics", p.xrpc.MetricsHandler())
	mux.HandleFunc("GET /xrpc/_health", p.health)
	mux.HandleFunc("GET /_health", p.health)
	mux.HandleFunc("GET /.well-known/atproto-did", p.atprotoDID)
	signIn := p.xrpc.LimitSignIn(p.oauth) // password forms: limited per address
	mux.Handle("/oauth/", signIn)
	mux.Handle("/account", signIn)
	mux.Handle("/account/", signIn)
	mux.Handle("GET /.well-known/oauth-authorization-server", p.oauth)
	mux.Handle("GET /.well-known/oauth-protected-resource", p.oauth)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("This is a Rhizome personal data server (AT Protocol). Most API routes are under /xrpc/\n"))
	})
	if p.plc != nil {
		mux.Handle("/plc/", http.StripPrefix("/plc", p.plc))
	}
	return mux
}

func (p *pod) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if _, err := p.store.LastSeq(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]string{"error": "store unavailable"})
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"version": version})
}

// atprotoDID answers handle resolution for the pod's own handles by the
// Host the request came to.
func (p *pod) atprotoDID(w http.ResponseWriter, r *http.Request) {
	host, _, _ := strings.Cut(r.Host, ":")
	h, err := syntax.ParseHandle(strings.ToLower(host))
	var a store.Account
	if err == nil {
		a, err = p.store.AccountByHandle(r.Context(), h)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil || a.Status != store.Active {
		http.Error(w, "no user by that handle", http.StatusNotFound)
		return
	}
	w.Write([]byte(a.DID))
}

// background runs periodic upkeep until ctx ends.
func (p *pod) background(ctx context.Context) {
	go p.hub.Run(ctx)
	if err := p.replicas.Start(ctx); err != nil {
		p.log.Error("starting replicas", "err", err)
	}
	go p.listen(ctx)
	if p.crawlers != nil {
		go p.crawlers.Run(ctx)
	}
	p.startBackups(ctx)
	go p.sweepRepos(ctx)
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.housekeeping(ctx)
		}
	}
}

// housekeeping collects unused temporary blobs, deletes app grants that
// ended more than grantKeep ago and trims events older than the retention.
func (p *pod) housekeeping(ctx context.Context) {
	if n, err := p.pds.CollectTempBlobs(ctx); err != nil {
		p.log.Warn("blob collection failed", "err", err)
	} else if n > 0 {
		p.log.Info("collected unused blobs", "count", n)
	}
	p.pruneGrants(ctx)
	if p.cfg == nil || p.cfg.eventRetention <= 0 {
		return
	}
	if n, err := p.store.TrimEvents(ctx, time.Now().Add(-p.cfg.eventRetention)); err != nil {
		p.log.Warn("event trimming failed", "err", err)
	} else if n > 0 {
		p.log.Info("trimmed old events", "count", n)
	}
}

// grantKeep is how long a revoked or expired app grant stays listed on
// the account page and in `rhizome grants list` before it is deleted.
const grantKeep = 30 * 24 * time.Hour

func (p *pod) pruneGrants(ctx context.Context) {
	s, ok := p.store.(oauthStores)
	if !ok {
		return
	}
	if n, err := s.OAuth().PruneFamilies(ctx, time.Now().Add(-grantKeep)); err != nil {
		p.log.Warn("pruning ended app grants failed", "err", err)
	} else if n > 0 {
		p.log.Info("deleted ended app grants", "count", n)
	}
}

func (p *pod) close() {
	p.replicas.Close()
	if err := p.store.Close(); err != nil {
		p.log.Error("closing store", "err", err)
	}
}
