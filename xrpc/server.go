package xrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/firehose"
	"github.com/rhizome-pds/rhizome/oauth/scope"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/replica"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Options configure a Server.
type Options struct {
	// AdminPassword enables the admin methods (HTTP basic auth, user
	// "admin"); empty disables them.
	AdminPassword string
	// MaxBodyBytes bounds JSON request bodies (default 2 MiB; blobs and
	// repository imports have their own limits).
	MaxBodyBytes int64
	Limits       RateLimits
	Logger       *slog.Logger
	// Services and ProxyClient enable the atproto-proxy header: Services
	// finds a service endpoint in a DID document, ProxyClient (which must
	// guard the addresses it dials) forwards the call.
	Services    ServiceResolver
	ProxyClient *http.Client
	// Firehose, if set, serves com.atproto.sync.subscribeRepos.
	Firehose *firehose.Hub
	// OAuth, if set, accepts DPoP-bound OAuth access tokens on user
	// methods, each limited to what its grant's scopes allow.
	OAuth OAuth
	// Replicas, if set, serves the dev.rhizome.admin.*Replica methods.
	Replicas *replica.Manager
}

// Server serves XRPC for one PDS.
type Server struct {
	pds     *pds.PDS
	opts    Options
	log     *slog.Logger
	routes  map[string]*route
	limiter *limiter
	metrics *metrics
	done    chan struct{} // closed by Shutdown: ends open streams
	once    sync.Once
}

// access says who may call a method.
type access int

const (
	public   access = iota // anyone
	user                   // a session of the account (access or app password)
	userFull               // a full session or a privileged app password
	admin                  // the pod's administrator
)

type route struct {
	method string // GET or POST
	access access
	write  bool // counts against the account's write limit
	need   need // what an OAuth grant must allow (user methods)
	fn     func(*call) (any, error)
}

// call is one request as a handler sees it.
type call struct {
	ctx    context.Context
	w      http.ResponseWriter
	r      *http.Request
	s      *Server
	caller auth.Claims // set for user methods
	// grant is an OAuth caller's scopes; nil for session tokens. checked
	// records that the handler checked them (routes that need it).
	grant   *scope.Set
	checked bool
}

// New returns a Server for p.
func New(p *pds.PDS, opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 2 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{pds: p, opts: opts, log: opts.Logger, routes: map[string]*route{},
		limiter: newLimiter(opts.Limits), metrics: newMetrics(), done: make(chan struct{})}
	s.serverRoutes()
	s.repoRoutes()
	s.syncRoutes()
	s.identityRoutes()
	s.migrationRoutes()
	s.plcOperationRoutes()
	s.adminRoutes()
	s.replicaRoutes()
	s.streamRoutes()
	s.grantRoutes()
	s.prefsRoutes()
	return s
}

// Shutdown ends open event streams, which http.Server.Shutdown does not
// wait for (hijacked connections); call it before that. Calling it twice
// is harmless.
func (s *Server) Shutdown() {
	s.once.Do(func() { close(s.done) })
}

// handle adds a method to the table. User methods also declare what an
// OAuth grant needs to call them (route.scopes).
func (s *Server) handle(nsid, method string, a access, fn func(*call) (any, error)) *route {
	rt := &route{method: method, access: a, fn: fn, write: method == http.MethodPost && a != public}
	s.routes[nsid] = rt
	return rt
}

// ServeHTTP dispatches /xrpc/{nsid}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	nsid := strings.TrimPrefix(r.URL.Path, "/xrpc/")
	rt, ok := s.routes[nsid]
	sw := &statusWriter{ResponseWriter: w, status: 200}
	defer func() { s.metrics.observe(nsid, ok, sw.status, time.Since(start)) }()
	secureHeaders(sw.Header())
	if h := r.Header.Get("Atproto-Proxy"); h != "" && !(ok && protected(nsid)) {
		if err := s.limiter.allowIP(clientIP(r)); err != nil {
			writeError(sw, s.log, r, err)
		} else if err := s.proxy(sw, r, nsid, h); err != nil {
			s.refuse(sw, r, err)
		}
		return
	}
	if !ok {
		writeError(sw, s.log, r, rhizome.Errorf("xrpc", rhizome.NotFound, "method %s is not implemented", nsid).Named("MethodNotImplemented"))
		return
	}
	if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", rt.method)
		writeError(sw, s.log, r, rhizome.Errorf("xrpc", rhizome.Invalid, "%s takes %s", nsid, rt.method))
		return
	}
	c := &call{ctx: r.Context(), w: sw, r: r, s: s}
	if err := s.admit(c, rt); err != nil {
		s.refuse(sw, r, err)
		return
	}
	out, err := rt.fn(c)
	if err == nil && c.grant != nil && rt.need.kind == needInHandler && !c.checked {
		err = rhizome.Errorf("xrpc", rhizome.Other, "%s did not check the OAuth grant's scopes", nsid)
	}
	switch {
	case err != nil:
		s.refuse(sw, r, err)
	case out != nil:
		writeJSON(sw, http.StatusOK, out)
	}
}

// admit authenticates the call and applies rate limits.
func (s *Server) admit(c *call, rt *route) error {
	if err := s.allowIP(c); err != nil {
		return err
	}
	var err error
	switch rt.access {
	case user, userFull:
		if err = s.authenticate(c, rt.access == userFull); err == nil {
			err = c.checkNeed(rt.need)
		}
	case admin:
		err = s.checkAdmin(c.r)
	}
	if err != nil || !rt.write {
		return err
	}
	return s.limiter.allowWrite(c.caller.DID)
}

// refuse answers a call that was not admitted: failed OAuth
// authentication with the DPoP challenge, the rest as XRPC errors.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var o *oauthRefusal
	if errors.As(err, &o) {
		s.opts.OAuth.WriteAuthError(w, o.err)
		return
	}
	writeError(w, s.log, r, err)
}

// allowIP applies the per-IP limit to callers on the network.
func (s *Server) allowIP(c *call) error {
	if isInternal(c.ctx) {
		return nil
	}
	return s.limiter.allowIP(clientIP(c.r))
}

func secureHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}

type statusWriter struct {
	http.ResponseWriter
	status int
	cork   *cork // set when a stream hijacks the connection
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController and the WebSocket upgrade reach the
// connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// input decodes a JSON body into v, with the server's size limit.
func (c *call) input(v any) error {
	if ct := c.r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return rhizome.Errorf("read input", rhizome.Invalid, "Content-Type must be application/json, not %q", ct)
	}
	body := http.MaxBytesReader(c.w, c.r.Body, c.s.opts.MaxBodyBytes)
	b, err := io.ReadAll(body)
	if err != nil {
		return rhizome.Errorf("read input", rhizome.TooLarge, "request body exceeds %d bytes", c.s.opts.MaxBodyBytes)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		return rhizome.Errorf("read input", rhizome.Invalid, "malformed JSON: %v", err)
	}
	if d.More() {
		return rhizome.E("read input", rhizome.Invalid, "trailing data after the JSON body")
	}
	return nil
}

// record decodes a record value from raw JSON into the data model, which
// rejects floats and malformed $link/$bytes/blob objects.
func record(raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, rhizome.E("read record", rhizome.Invalid, "record is required")
	}
	m, err := data.UnmarshalJSONObject(raw)
	if err != nil {
		return nil, rhizome.E("read record", rhizome.Invalid, err).Named("InvalidRecord")
	}
	return m, nil
}

// self checks that the repo a user method names is the caller's own.
func (c *call) self(repo string) (syntax.DID, error) {
	id, err := syntax.ParseAtIdentifier(repo)
	if err != nil {
		return "", rhizome.E("check repo", rhizome.Invalid, err)
	}
	if string(id) == string(c.caller.DID) {
		return c.caller.DID, nil
	}
	a, err := c.s.pds.ResolveAccount(c.ctx, id)
	if err != nil || a.DID != c.caller.DID {
		return "", rhizome.E("check repo", rhizome.Forbidden, "you may only write to your own repository")
	}
	return a.DID, nil
}
