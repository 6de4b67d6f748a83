package xrpc

import (
	"encoding/json"
	"net/http"

	"github.com/rhizome-pds/rhizome/auth"
)

// prefsRoutes serves the account's private preferences from the pod
// itself, as the reference PDS does: they are never proxied to an app
// view (see protected in proxy.go).
func (s *Server) prefsRoutes() {
	s.handle("app.bsky.actor.getPreferences", http.MethodGet, user, getPreferences).scopes(inHandler)
	s.handle("app.bsky.actor.putPreferences", http.MethodPost, user, putPreferences).scopes(inHandler)
}

// fullAccess says whether the caller holds a full session; app passwords,
// privileged or not, do not see personal details.
func (c *call) fullAccess() bool { return c.caller.Scope == auth.Access }

func getPreferences(c *call) (any, error) {
	if err := c.allowLocalRPC("app.bsky.actor.getPreferences"); err != nil {
		return nil, err
	}
	prefs, err := c.s.pds.Preferences(c.ctx, c.caller.DID, c.fullAccess())
	if err != nil {
		return nil, err
	}
	return map[string]any{"preferences": prefs}, nil
}

func putPreferences(c *call) (any, error) {
	var in struct {
		Preferences json.RawMessage `json:"preferences"`
	}
	if err := c.input(&in); err != nil {
		return nil, err
	}
	if err := c.allowLocalRPC("app.bsky.actor.putPreferences"); err != nil {
		return nil, err
	}
	return nil, c.s.pds.PutPreferences(c.ctx, c.caller.DID, in.Preferences, c.fullAccess())
}
