package loadtest

import (
	"context"
	crand "crypto/rand"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// account is a bench account and its access token.
type account struct {
	DID    syntax.DID
	Handle syntax.Handle
	Token  string
}

// describe reads the handle domain and whether invites are required.
func (r *runner) describe(ctx context.Context) error {
	var d struct {
		AvailableUserDomains []string `json:"availableUserDomains"`
		InviteCodeRequired   bool     `json:"inviteCodeRequired"`
	}
	err := r.c.json(ctx, request{method: http.MethodGet, nsid: "com.atproto.server.describeServer"}, &d)
	if err != nil {
		return rhizome.E("describe server", rhizome.Unavailable, err)
	}
	r.invites = d.InviteCodeRequired
	r.domain = r.cfg.HandleDomain
	if r.domain == "" && len(d.AvailableUserDomains) > 0 {
		r.domain = d.AvailableUserDomains[0]
	}
	if r.domain == "" {
		r.domain = ".test"
	}
	if !strings.HasPrefix(r.domain, ".") {
		r.domain = "." + r.domain
	}
	return nil
}

// serverVersion reads {"version"} from /_health, "" if absent.
func (r *runner) serverVersion(ctx context.Context) string {
	var h struct {
		Version string `json:"version"`
	}
	r.c.json(ctx, request{method: http.MethodGet, nsid: "_health", path: "/_health"}, &h)
	return h.Version
}

// createAccount makes an account with a random handle under the domain.
func (r *runner) createAccount(ctx context.Context) (account, error) {
	handle := "bn" + randomID(10) + r.domain
	code, err := r.inviteCode(ctx)
	if err != nil {
		return account{}, err
	}
	in := map[string]any{"handle": handle, "email": handle + "@example.com", "password": "pw-" + crand.Text()}
	if code != "" {
		in["inviteCode"] = code
	}
	var s struct {
		DID       syntax.DID    `json:"did"`
		Handle    syntax.Handle `json:"handle"`
		AccessJwt string        `json:"accessJwt"`
	}
	err = r.c.json(ctx, request{method: http.MethodPost, nsid: "com.atproto.server.createAccount", body: in}, &s)
	if err != nil {
		return account{}, rhizome.E("create bench account", rhizome.Other, err)
	}
	return account{DID: s.DID, Handle: s.Handle, Token: s.AccessJwt}, nil
}

// inviteCode is Config.InviteCode, or a fresh single-use code minted with
// the admin password when the server requires one, or "".
func (r *runner) inviteCode(ctx context.Context) (string, error) {
	if r.cfg.InviteCode != "" || !r.invites {
		return r.cfg.InviteCode, nil
	}
	if r.cfg.AdminPassword == "" {
		return "", rhizome.E("create invite code", rhizome.Unauthorized, "the server requires invite codes: give an invite code or the admin password")
	}
	var out struct {
		Code string `json:"code"`
	}
	err := r.c.json(ctx, request{method: http.MethodPost, nsid: "com.atproto.server.createInviteCode",
		body: map[string]any{"useCount": 1}, basic: "admin:" + r.cfg.AdminPassword}, &out)
	if err != nil {
		return "", rhizome.E("create invite code", rhizome.Other, err)
	}
	return out.Code, nil
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomID is n random lower-case letters and digits (not secret).
func randomID(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[rand.IntN(len(idAlphabet))]
	}
	return string(b)
}
