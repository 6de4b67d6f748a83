package xrpc

import (
	"net/http"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// replicaRoutes are the admin methods of package replica; without
// Options.Replicas they answer MethodNotImplemented-like errors.
func (s *Server) replicaRoutes() {
	s.handle("dev.rhizome.admin.addReplica", http.MethodPost, admin, addReplica)
	s.handle("dev.rhizome.admin.listReplicas", http.MethodGet, admin, listReplicas)
	s.handle("dev.rhizome.admin.removeReplica", http.MethodPost, admin, removeReplica)
	s.handle("dev.rhizome.admin.promoteReplica", http.MethodPost, admin, promoteReplica)
}

func (c *call) replicas() error {
	if c.s.opts.Replicas == nil {
		return rhizome.E("replicas", rhizome.Invalid, "this pod does not keep replicas").Named("MethodNotImplemented")
	}
	return nil
}

func replicaDID(s string) (syntax.DID, error) {
	did, err := syntax.ParseDID(s)
	if err != nil {
		return "", rhizome.E("read input", rhizome.Invalid, err)
	}
	return did, nil
}

// replicaInput reads a replica method's input into in, checks that the
// pod keeps replicas, and parses the DID the input names (didOf).
func (c *call) replicaInput(in any, didOf func() string) (syntax.DID, error) {
	if err := c.input(in); err != nil {
		return "", err
	}
	if err := c.replicas(); err != nil {
		return "", err
	}
	return replicaDID(didOf())
}

func addReplica(c *call) (any, error) {
	var in struct{ DID, From string }
	did, err := c.replicaInput(&in, func() string { return in.DID })
	if err != nil {
		return nil, err
	}
	return c.s.opts.Replicas.Add(c.ctx, did, in.From)
}

func listReplicas(c *call) (any, error) {
	if err := c.replicas(); err != nil {
		return nil, err
	}
	list, err := c.s.opts.Replicas.List(c.ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{"replicas": list}, nil
}

func removeReplica(c *call) (any, error) {
	var in struct{ DID string }
	did, err := c.replicaInput(&in, func() string { return in.DID })
	if err != nil {
		return nil, err
	}
	return struct{}{}, c.s.opts.Replicas.Remove(c.ctx, did)
}

func promoteReplica(c *call) (any, error) {
	var in struct{ DID, Password string }
	did, err := c.replicaInput(&in, func() string { return in.DID })
	if err != nil {
		return nil, err
	}
	return struct{}{}, c.s.opts.Replicas.Promote(c.ctx, did, in.Password)
}
