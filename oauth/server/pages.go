package server

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// pageData is what the templates show.
type pageData struct {
	Title       string
	Error       string
	Client      *Client
	Domain      string
	RequestURI  string
	CSRF        string
	Identifier  string
	Account     string
	Permissions []Permission
	// The account page's lists.
	Grants       []GrantInfo
	AppPasswords []Credential
	Sessions     []Credential
}

// setPageHeaders forbids framing (clickjacking), caching and referrers,
// and lets the page load nothing but inline style and https images.
func setPageHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

func renderPage(w http.ResponseWriter, status int, name string, d pageData) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, d); err != nil {
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	setPageHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func renderError(w http.ResponseWriter, status int, msg string) {
	renderPage(w, status, "error.html", pageData{Title: "Cannot continue", Error: msg})
}
