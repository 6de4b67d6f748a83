package server

import (
	"context"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/scope"
	"github.com/rhizome-pds/rhizome/syntax"
)

// GrantInfo describes an active grant to the person who gave it: which
// app, what it may do in plain words, since when and until when.
type GrantInfo struct {
	ID              string       `json:"id"`
	ClientID        string       `json:"clientId"`
	ClientName      string       `json:"clientName"`
	Domain          string       `json:"domain"`
	Scope           string       `json:"scope"`
	Permissions     []Permission `json:"permissions"`
	CreatedAt       time.Time    `json:"createdAt"`
	LastRefreshedAt time.Time    `json:"lastRefreshedAt"`
	ExpiresAt       time.Time    `json:"expiresAt"`
}

// Grants lists an account's active grants, newest first, for the account
// page and the CLI.
func (s *Server) Grants(ctx context.Context, did syntax.DID) ([]GrantInfo, error) {
	fams, err := s.cfg.Store.Families(ctx, did)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	out := []GrantInfo{}
	for _, f := range fams {
		if f.Active(now) {
			out = append(out, s.describeGrant(ctx, f))
		}
	}
	return out, nil
}

// describeGrant names the grant's app from its metadata when it can still
// be fetched, else by its client_id's host.
func (s *Server) describeGrant(ctx context.Context, f *Family) GrantInfo {
	g := GrantInfo{ID: f.ID, ClientID: f.ClientID, Scope: f.Scope, CreatedAt: f.CreatedAt, LastRefreshedAt: f.RefreshedAt, ExpiresAt: f.ExpiresAt}
	c := &Client{ClientID: f.ClientID}
	if got, err := s.cfg.Clients.ResolveClient(ctx, f.ClientID); err == nil {
		c = got
	}
	g.ClientName, g.Domain = c.ClientName, c.Domain()
	if g.ClientName == "" {
		g.ClientName = g.Domain
	}
	set, _ := scope.ParseSetLax(f.Scope)
	g.Permissions = Describe(set)
	return g
}

// RevokeGrant ends one of the account's grants: its access and refresh
// tokens stop working on their next use. A grant of another account is
// NotFound, as is an unknown one; revoking twice is not an error.
func (s *Server) RevokeGrant(ctx context.Context, did syntax.DID, id string) error {
	f, err := s.cfg.Store.Family(ctx, id)
	if err != nil || f.DID != did {
		return rhizome.E("revoke grant", rhizome.NotFound, "no such grant").Named("GrantNotFound")
	}
	return s.cfg.Store.Revoke(ctx, id, s.cfg.Now())
}
