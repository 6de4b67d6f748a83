package server

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome/syntax"
)

// Credentials lets the account page list and revoke the pod's other
// credentials besides grants: app passwords and password sessions. The
// pod implements it; a nil Config.Credentials shows grants only.
type Credentials interface {
	AppPasswords(ctx context.Context, did syntax.DID) ([]Credential, error)
	RevokeAppPassword(ctx context.Context, did syntax.DID, name string) error
	Sessions(ctx context.Context, did syntax.DID) ([]Credential, error)
	RevokeSession(ctx context.Context, did syntax.DID, id string) error
}

// Credential is one app password or session as the account page lists it.
type Credential struct {
	ID        string
	Name      string
	Detail    string
	CreatedAt time.Time
}

const (
	accountCookie = "rhizome_account" // DID, expiry and MAC of a signed-in account page
	accountLife   = 30 * time.Minute
)

// accountSession reads the account page's cookie: the DID it names if
// its MAC holds and it has not expired.
func (s *Server) accountSession(r *http.Request) (syntax.DID, string, bool) {
	c, err := r.Cookie(accountCookie)
	if err != nil {
		return "", "", false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 || !equal(parts[2], s.mac("account", parts[0], parts[1])) {
		return "", "", false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	raw, err2 := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || err2 != nil || s.cfg.Now().Unix() > exp {
		return "", "", false
	}
	did, err := syntax.ParseDID(string(raw))
	return did, c.Value, err == nil
}

func (s *Server) setAccountSession(w http.ResponseWriter, did syntax.DID) {
	d := base64.RawURLEncoding.EncodeToString([]byte(did))
	exp := strconv.FormatInt(s.cfg.Now().Add(accountLife).Unix(), 10)
	s.accountCookie(w, d+"."+exp+"."+s.mac("account", d, exp), int(accountLife/time.Second))
}

func (s *Server) accountCookie(w http.ResponseWriter, v string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: accountCookie, Value: v, Path: "/account", MaxAge: maxAge,
		HttpOnly: true, Secure: strings.HasPrefix(s.cfg.Issuer, "https:"), SameSite: http.SameSiteStrictMode})
}

// accountDevice is the pre-sign-in cookie the sign-in form's CSRF token
// is bound to.
func (s *Server) accountDevice(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(deviceCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	v := randomToken()
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: v, Path: "/account",
		HttpOnly: true, Secure: strings.HasPrefix(s.cfg.Issuer, "https:"), SameSite: http.SameSiteStrictMode})
	return v
}

// serveAccount shows the account page, or its sign-in form.
func (s *Server) serveAccount(w http.ResponseWriter, r *http.Request) {
	did, sess, ok := s.accountSession(r)
	if !ok {
		s.renderAccountSignIn(w, r, http.StatusOK, "", "")
		return
	}
	d, err := s.accountData(r.Context(), did)
	if err != nil {
		renderError(w, http.StatusInternalServerError, "could not read the account's grants")
		return
	}
	d.CSRF = s.mac("account-csrf", sess)
	renderPage(w, http.StatusOK, "account.html", d)
}

func (s *Server) renderAccountSignIn(w http.ResponseWriter, r *http.Request, status int, identifier, msg string) {
	dev := s.accountDevice(w, r)
	renderPage(w, status, "account_signin.html", pageData{Title: "Your account", CSRF: s.mac("account-signin", dev),
		Identifier: identifier, Error: msg})
}

func (s *Server) accountData(ctx context.Context, did syntax.DID) (pageData, error) {
	d := pageData{Title: "Your account", Account: string(did)}
	var err error
	if d.Grants, err = s.Grants(ctx, did); err != nil {
		return d, err
	}
	if c := s.cfg.Credentials; c != nil {
		if d.AppPasswords, err = c.AppPasswords(ctx, did); err != nil {
			return d, err
		}
		d.Sessions, err = c.Sessions(ctx, did)
	}
	return d, err
}

// serveAccountSignIn checks the password and opens the account page.
func (s *Server) serveAccountSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	dev, err := r.Cookie(deviceCookie)
	if r.ParseForm() != nil || err != nil || !equal(r.PostForm.Get("csrf"), s.mac("account-signin", dev.Value)) {
		renderError(w, http.StatusForbidden, "This form has expired. Reload the page and sign in again.")
		return
	}
	id := strings.TrimSpace(r.PostForm.Get("identifier"))
	acct, err := s.cfg.Accounts.Authenticate(r.Context(), id, r.PostForm.Get("password"))
	if err != nil {
		s.renderAccountSignIn(w, r, http.StatusUnauthorized, id, "Wrong handle or password.")
		return
	}
	s.setAccountSession(w, acct.DID)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// serveAccountRevoke revokes one grant, app password or session.
func (s *Server) serveAccountRevoke(w http.ResponseWriter, r *http.Request) {
	did, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	id := r.PostForm.Get("id")
	var err error
	switch kind := r.PostForm.Get("kind"); {
	case kind == "grant":
		err = s.RevokeGrant(r.Context(), did, id)
	case kind == "app-password" && s.cfg.Credentials != nil:
		err = s.cfg.Credentials.RevokeAppPassword(r.Context(), did, id)
	case kind == "session" && s.cfg.Credentials != nil:
		err = s.cfg.Credentials.RevokeSession(r.Context(), did, id)
	default:
		renderError(w, http.StatusBadRequest, "Unknown kind of access to revoke.")
		return
	}
	if err != nil {
		renderError(w, http.StatusNotFound, "That access no longer exists; reload the account page.")
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// serveAccountSignOut ends the account page's session.
func (s *Server) serveAccountSignOut(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.accountForm(w, r); ok {
		s.accountCookie(w, "", -1)
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	}
}

// accountForm parses a form posted from the account page, checking its
// session and CSRF token.
func (s *Server) accountForm(w http.ResponseWriter, r *http.Request) (syntax.DID, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	did, sess, ok := s.accountSession(r)
	if !ok || r.ParseForm() != nil || !equal(r.PostForm.Get("csrf"), s.mac("account-csrf", sess)) {
		renderError(w, http.StatusForbidden, "Your session on this page has ended. Sign in again.")
		return "", false
	}
	return did, true
}
