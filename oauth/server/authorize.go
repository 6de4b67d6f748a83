package server

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/rhizome-pds/rhizome"
)

// deviceCookie identifies the browser between the sign-in and consent
// steps; CSRF tokens are bound to it and to the request.
const deviceCookie = "rhizome_oauth_device"

// serveAuthorize shows the sign-in page, or the consent page once the
// browser has signed in for this request.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req, client, err := s.pendingRequest(r, q.Get("request_uri"))
	if err == nil && q.Get("client_id") != req.ClientID {
		err = oauthError(rhizome.Invalid, "invalid_request", "client_id does not match the request")
	}
	if err != nil {
		renderError(w, http.StatusBadRequest, err.Error())
		return
	}
	device := s.device(w, r)
	if req.DID != "" && req.Device == hashToken(device) {
		s.renderConsent(w, r, req, client, device)
		return
	}
	s.renderSignIn(w, http.StatusOK, req, client, device, req.LoginHint, "")
}

// pendingRequest loads an unexpired request not yet approved, and its client.
func (s *Server) pendingRequest(r *http.Request, requestURI string) (*Request, *Client, error) {
	id, ok := strings.CutPrefix(requestURI, requestURIPrefix)
	if !ok || id == "" {
		return nil, nil, oauthError(rhizome.Invalid, "invalid_request", "missing or malformed request_uri")
	}
	req, err := s.cfg.Store.Request(r.Context(), id)
	if err != nil || req.CodeHash != "" || s.cfg.Now().After(req.ExpiresAt) {
		return nil, nil, oauthError(rhizome.Invalid, "invalid_request", "unknown or expired request; start again from the app")
	}
	client, err := s.client(r.Context(), req.ClientID)
	return req, client, err
}

// device returns the browser's device cookie, setting a new one if needed.
func (s *Server) device(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(deviceCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	v := randomToken()
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: v, Path: "/oauth/authorize",
		HttpOnly: true, Secure: strings.HasPrefix(s.cfg.Issuer, "https:"), SameSite: http.SameSiteLaxMode})
	return v
}

func (s *Server) csrf(device, requestID string) string { return s.mac("csrf", device, requestID) }

func (s *Server) renderSignIn(w http.ResponseWriter, status int, req *Request, c *Client, device, identifier, msg string) {
	renderPage(w, status, "signin.html", pageData{Title: "Sign in", Client: c, Domain: c.Domain(),
		RequestURI: requestURIPrefix + req.ID, CSRF: s.csrf(device, req.ID), Identifier: identifier, Error: msg})
}

func (s *Server) renderConsent(w http.ResponseWriter, r *http.Request, req *Request, c *Client, device string) {
	set, err := s.checkScope(r.Context(), c, req.Scope)
	if err != nil {
		renderError(w, http.StatusBadRequest, err.Error())
		return
	}
	who := string(req.Handle)
	if who == "" {
		who = string(req.DID)
	}
	renderPage(w, http.StatusOK, "consent.html", pageData{Title: "Allow access?", Client: c, Domain: c.Domain(),
		RequestURI: requestURIPrefix + req.ID, CSRF: s.csrf(device, req.ID), Account: who, Permissions: Describe(set)})
}

// formRequest checks a page's form: its size, the device cookie, the
// CSRF token and the request it names.
func (s *Server) formRequest(w http.ResponseWriter, r *http.Request) (*Request, *Client, string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		renderError(w, http.StatusBadRequest, "unreadable form")
		return nil, nil, "", false
	}
	req, client, err := s.pendingRequest(r, r.PostForm.Get("request_uri"))
	if err != nil {
		renderError(w, http.StatusBadRequest, err.Error())
		return nil, nil, "", false
	}
	c, err := r.Cookie(deviceCookie)
	if err != nil || !equal(r.PostForm.Get("csrf"), s.csrf(c.Value, req.ID)) {
		renderError(w, http.StatusForbidden, "This form has expired or did not come from this page (CSRF check failed).")
		return nil, nil, "", false
	}
	return req, client, c.Value, true
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// serveSignIn checks the account's password and moves on to consent.
func (s *Server) serveSignIn(w http.ResponseWriter, r *http.Request) {
	req, client, device, ok := s.formRequest(w, r)
	if !ok {
		return
	}
	id := strings.TrimSpace(r.PostForm.Get("identifier"))
	acct, err := s.cfg.Accounts.Authenticate(r.Context(), id, r.PostForm.Get("password"))
	if err != nil {
		s.renderSignIn(w, http.StatusUnauthorized, req, client, device, id, "Wrong handle or password.")
		return
	}
	req.DID, req.Handle, req.Device = acct.DID, acct.Handle, hashToken(device)
	if err := s.cfg.Store.PutRequest(r.Context(), req); err != nil {
		renderError(w, http.StatusInternalServerError, "could not save the sign-in")
		return
	}
	q := url.Values{"client_id": {req.ClientID}, "request_uri": {requestURIPrefix + req.ID}}
	http.Redirect(w, r, "/oauth/authorize?"+q.Encode(), http.StatusSeeOther)
}

// serveConsent approves or denies the request, redirecting to the client.
func (s *Server) serveConsent(w http.ResponseWriter, r *http.Request) {
	req, _, device, ok := s.formRequest(w, r)
	if !ok {
		return
	}
	if req.DID == "" || !equal(req.Device, hashToken(device)) {
		renderError(w, http.StatusForbidden, "Sign in first.")
		return
	}
	params := url.Values{"state": {req.State}, "iss": {s.cfg.Issuer}}
	if r.PostForm.Get("decision") != "approve" {
		_ = s.cfg.Store.DeleteRequest(r.Context(), req.ID)
		params.Set("error", "access_denied")
		s.redirectBack(w, r, req, params)
		return
	}
	code := randomToken()
	req.CodeHash, req.ExpiresAt = hashToken(code), s.cfg.Now().Add(CodeLifetime)
	if err := s.cfg.Store.PutRequest(r.Context(), req); err != nil {
		renderError(w, http.StatusInternalServerError, "could not save the approval")
		return
	}
	params.Set("code", code)
	s.redirectBack(w, r, req, params)
}

func (s *Server) redirectBack(w http.ResponseWriter, r *http.Request, req *Request, params url.Values) {
	sep := "?"
	if req.ResponseMode == "fragment" {
		sep = "#"
	} else if strings.Contains(req.RedirectURI, "?") {
		sep = "&"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, req.RedirectURI+sep+params.Encode(), http.StatusSeeOther)
}
