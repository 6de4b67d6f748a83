package xrpc

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// ServiceResolver finds the endpoint of a service named "did#fragment",
// e.g. "did:web:api.bsky.app#bsky_appview".
type ServiceResolver func(ctx context.Context, did syntax.DID, fragment string) (endpoint string, err error)

// protected are the methods never forwarded by atproto-proxy: they act on
// the account itself, and a third party must never see their credentials.
var protectedPrefixes = []string{
	"com.atproto.server.", "com.atproto.identity.", "com.atproto.admin.",
	"com.atproto.repo.", "com.atproto.sync.", "chat.bsky.", // chat carries its own rules
	"app.bsky.actor.getPreferences", "app.bsky.actor.putPreferences",
}

func protected(nsid string) bool {
	for _, p := range protectedPrefixes {
		if strings.HasPrefix(nsid, p) && nsid != "chat.bsky.convo.getLog" {
			return true
		}
	}
	return false
}

// proxy forwards an authenticated call to the service the atproto-proxy
// header names, with a service JWT in place of the user's token.
func (s *Server) proxy(w http.ResponseWriter, r *http.Request, nsid, header string) error {
	if s.opts.Services == nil || s.opts.ProxyClient == nil {
		return rhizome.E("proxy", rhizome.Invalid, "this pod does not proxy requests").Named("InvalidRequest")
	}
	if protected(nsid) {
		return rhizome.Errorf("proxy", rhizome.Invalid, "%s is never proxied", nsid)
	}
	did, frag, ok := strings.Cut(header, "#")
	sdid, err := syntax.ParseDID(did)
	if !ok || frag == "" || err != nil {
		return rhizome.E("proxy", rhizome.Invalid, "atproto-proxy must be DID#service")
	}
	c := &call{ctx: r.Context(), w: w, r: r, s: s}
	if err := s.authenticate(c, false); err != nil {
		return err
	}
	if err := c.allowRPC(nsid, header); err != nil {
		return err
	}
	caller := c.caller
	endpoint, err := s.opts.Services(r.Context(), sdid, "#"+frag)
	if err != nil {
		return rhizome.E("proxy", rhizome.Invalid, err).Named("InvalidRequest")
	}
	lxm, _ := syntax.ParseNSID(nsid)
	tok, err := s.pds.ServiceAuth(r.Context(), caller.DID, string(sdid), lxm, time.Minute)
	if err != nil {
		return err
	}
	return s.forward(w, r, endpoint, tok)
}

func (s *Server) forward(w http.ResponseWriter, r *http.Request, endpoint, tok string) error {
	u := strings.TrimRight(endpoint, "/") + r.URL.Path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	var body io.Reader
	if r.Method == http.MethodPost {
		body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u, body)
	if err != nil {
		return rhizome.E("proxy", rhizome.Invalid, err)
	}
	for _, h := range []string{"Content-Type", "Accept", "Accept-Language", "Atproto-Accept-Labelers"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := s.opts.ProxyClient.Do(req)
	if err != nil {
		return rhizome.E("proxy", rhizome.Unavailable, err)
	}
	defer resp.Body.Close()
	for _, h := range []string{"Content-Type", "Content-Language", "Atproto-Content-Labelers", "Atproto-Repo-Rev"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
	return nil
}
