package xrpc

import (
	"crypto/rand"
	"encoding/base32"
	"net/http"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

func (s *Server) identityRoutes() {
	s.handle("com.atproto.identity.resolveHandle", http.MethodGet, public, resolveHandle)
	s.handle("com.atproto.identity.updateHandle", http.MethodPost, userFull, updateHandle).scopes(handleChange)
	s.identityReadRoutes()
}

func (s *Server) adminRoutes() {
	s.handle("com.atproto.server.createInviteCode", http.MethodPost, admin, createInviteCode)
	s.handle("com.atproto.admin.getAccountInfo", http.MethodGet, admin, getAccountInfo)
	s.handle("com.atproto.admin.updateSubjectStatus", http.MethodPost, admin, updateSubjectStatus)
	s.handle("com.atproto.admin.deleteAccount", http.MethodPost, admin, adminDeleteAccount)
	s.handle("com.atproto.admin.updateAccountPassword", http.MethodPost, admin, updateAccountPassword)
}

func resolveHandle(c *call) (any, error) {
	h, err := syntax.ParseHandle(strings.ToLower(c.r.URL.Query().Get("handle")))
	if err != nil {
		return nil, rhizome.E("read params", rhizome.Invalid, err)
	}
	did, err := c.s.pds.ResolveHandle(c.ctx, h)
	if err != nil {
		return nil, err
	}
	return map[string]string{"did": string(did)}, nil
}

func updateHandle(c *call) (any, error) {
	var in struct{ Handle string }
	if err := c.input(&in); err != nil {
		return nil, err
	}
	return struct{}{}, c.s.pds.UpdateHandle(c.ctx, c.caller.DID, in.Handle)
}

// NewInviteCode returns a fresh random invite code.
func NewInviteCode(host string) string {
	b := make([]byte, 10)
	rand.Read(b)
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	return strings.ReplaceAll(host, ".", "-") + "-" + s[:5] + "-" + s[5:10]
}

func createInviteCode(c *call) (any, error) {
	var in struct {
		UseCount   int    `json:"useCount"`
		ForAccount string `json:"forAccount"`
	}
	if err := c.input(&in); err != nil {
		return nil, err
	}
	if in.UseCount < 1 || in.UseCount > 1000 {
		return nil, rhizome.E("create invite", rhizome.Invalid, "useCount must be 1 to 1000")
	}
	code := NewInviteCode(strings.TrimPrefix(c.s.pds.DID(), "did:web:"))
	inv := store.Invite{Code: code, Available: in.UseCount, CreatedBy: "admin", CreatedAt: store.Now()}
	if err := c.s.pds.Store().CreateInvite(c.ctx, inv); err != nil {
		return nil, err
	}
	return map[string]string{"code": code}, nil
}

func getAccountInfo(c *call) (any, error) {
	q := c.query()
	did := q.did("did")
	if q.err != nil {
		return nil, q.err
	}
	a, err := c.s.pds.Account(c.ctx, did)
	if err != nil {
		return nil, err
	}
	return map[string]any{"did": a.DID, "handle": a.Handle, "email": a.Email,
		"indexedAt": datetime(a.CreatedAt), "status": a.Status}, nil
}

func updateSubjectStatus(c *call) (any, error) {
	var in struct {
		Subject struct {
			DID string `json:"did"`
		} `json:"subject"`
		Takedown *struct {
			Applied bool `json:"applied"`
		} `json:"takedown"`
		Deactivated *struct {
			Applied bool `json:"applied"`
		} `json:"deactivated"`
	}
	if err := c.input(&in); err != nil {
		return nil, err
	}
	did, err := syntax.ParseDID(in.Subject.DID)
	if err != nil {
		return nil, rhizome.E("read input", rhizome.Invalid, "subject must be a repository ({did})")
	}
	st := store.Active
	switch {
	case in.Takedown != nil && in.Takedown.Applied:
		st = store.Takendown
	case in.Deactivated != nil && in.Deactivated.Applied:
		st = store.Deactivated
	}
	if err := c.s.pds.SetStatus(c.ctx, did, st); err != nil {
		return nil, err
	}
	return map[string]any{"subject": map[string]any{"$type": "com.atproto.admin.defs#repoRef", "did": did}}, nil
}

func adminDeleteAccount(c *call) (any, error) {
	var in struct{ DID string }
	if err := c.input(&in); err != nil {
		return nil, err
	}
	did, err := syntax.ParseDID(in.DID)
	if err != nil {
		return nil, rhizome.E("read input", rhizome.Invalid, err)
	}
	return struct{}{}, c.s.pds.DeleteAccount(c.ctx, did)
}

func updateAccountPassword(c *call) (any, error) {
	var in struct{ DID, Password string }
	if err := c.input(&in); err != nil {
		return nil, err
	}
	did, err := syntax.ParseDID(in.DID)
	if err != nil {
		return nil, rhizome.E("read input", rhizome.Invalid, err)
	}
	return struct{}{}, c.s.pds.SetPassword(c.ctx, did, in.Password)
}
