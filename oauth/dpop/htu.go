package dpop

import (
	"errors"
	"net/url"
	"strings"

	"github.com/rhizome-pds/rhizome"
)

// NormalizeHTU returns the form in which an htu claim and a request URL
// are compared (RFC 9449 §4.3, with RFC 3986 syntax- and scheme-based
// normalisation): scheme and host lower-cased, the scheme's default port
// dropped, an empty path made "/", dot segments removed, the path
// re-encoded canonically, and the query and fragment dropped. A proof
// whose htu carries a query is accepted for the query-less URL, as the
// reference server does for older clients. Only absolute http and https
// URLs without user information are accepted.
func NormalizeHTU(s string) (string, error) {
	n, err := normalizeHTU(s)
	if err != nil {
		return "", rhizome.Errorf("normalize htu", rhizome.Invalid, "%q: %w", clip(s), err)
	}
	return n, nil
}

func normalizeHTU(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("not a URL")
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", errors.New("not an http or https URL")
	case u.Opaque != "" || u.Host == "":
		return "", errors.New("not an absolute URL")
	case u.User != nil:
		return "", errors.New("holds user information")
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && !(scheme == "https" && port == "443") && !(scheme == "http" && port == "80") {
		host += ":" + port
	}
	clean := (&url.URL{Path: "/"}).ResolveReference(&url.URL{Path: u.Path})
	return scheme + "://" + host + clean.EscapedPath(), nil
}

// clip shortens untrusted input quoted in an error message.
func clip(s string) string {
	const n = 96
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
