package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/rhizome-pds/rhizome"
)

const (
	userAgent = "rhizome-identity"
	// maxRedirects is how many redirects a handle's well-known URL may
	// take; the handle spec allows "a reasonable number of hops".
	maxRedirects = 5
	// maxHeaderBytes bounds the response headers of a guarded client.
	maxHeaderBytes = 64 << 10
)

// GuardedClient returns an HTTP client for fetching from hosts named by
// untrusted input: it dials through [GuardedDialer], ignores proxy
// settings (a proxy would hide the real destination from the guard), and
// gives up on a whole request, redirects and body included, after timeout.
func GuardedClient(allowLoopback bool, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            GuardedDialer(allowLoopback, nil).DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
		MaxIdleConns:           64,
		IdleConnTimeout:        90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// withRedirectPolicy returns a shallow copy of c that follows redirects
// as policy says.
func withRedirectPolicy(c *http.Client, policy func(*http.Request, []*http.Request) error) *http.Client {
	cp := *c
	cp.CheckRedirect = policy
	return &cp
}

// noRedirects makes the client return a redirect response as it is; the
// caller then treats it as a failed lookup.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// fewRedirects follows at most maxRedirects redirects and never from https
// to another scheme.
func fewRedirects(req *http.Request, via []*http.Request) error {
	const op = "follow redirect"
	if len(via) > maxRedirects {
		return rhizome.Errorf(op, rhizome.NotFound, "more than %d redirects", maxRedirects)
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return rhizome.Errorf(op, rhizome.NotFound, "redirect from https to %s", req.URL.Scheme)
	}
	return nil
}

// fetch GETs url through client within the resolver's timeout and returns
// the body of a 2xx response, which must not exceed limit bytes.
func (r *Resolver) fetch(ctx context.Context, client *http.Client, url, accept string, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, rhizome.Errorf("fetch", rhizome.Invalid, "build request: %w", err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return nil, transportError(err)
	}
	defer resp.Body.Close()
	if err := statusError(resp); err != nil {
		return nil, err
	}
	return readLimited(resp, limit)
}

// transportError classifies a failed round trip: a refusal by the address
// guard or the redirect policy keeps its kind; timeouts and every other
// network failure are Unavailable.
func transportError(err error) error {
	const op = "fetch"
	if k := rhizome.KindOf(err); k != rhizome.Other {
		return rhizome.E(op, k, err)
	}
	if isTimeout(err) {
		return rhizome.Errorf(op, rhizome.Unavailable, "timed out: %w", err)
	}
	return rhizome.E(op, rhizome.Unavailable, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// ErrDeactivated is the cause of the NotFound error for a document its
// directory or host reports as gone (HTTP 410: a tombstoned did:plc), so
// callers can tell a deactivated DID from one that never existed with
// errors.Is. It is cached like any other definite failure.
var ErrDeactivated = errors.New("deactivated (410 Gone)")

// statusError maps a non-2xx status to an error: 404 and 410 are
// NotFound (410 wrapping ErrDeactivated), 408, 429 and 5xx Unavailable,
// and anything else (including an unfollowed redirect) NotFound.
func statusError(resp *http.Response) error {
	const op = "fetch"
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return rhizome.Errorf(op, rhizome.Unavailable, "status %s", resp.Status)
	case code == http.StatusGone:
		return rhizome.Errorf(op, rhizome.NotFound, "status %s: %w", resp.Status, ErrDeactivated)
	}
	return rhizome.Errorf(op, rhizome.NotFound, "status %s", resp.Status)
}

// readLimited reads the body, failing with TooLarge as soon as it is known
// to exceed limit.
func readLimited(resp *http.Response, limit int64) ([]byte, error) {
	const op = "fetch"
	if resp.ContentLength > limit {
		return nil, tooLarge(op, fmt.Sprint(resp.ContentLength), limit)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, transportError(err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(op, "more than "+fmt.Sprint(limit), limit)
	}
	return b, nil
}

func tooLarge(op, size string, limit int64) error {
	return rhizome.Errorf(op, rhizome.TooLarge, "body of %s bytes exceeds the limit of %d", size, limit)
}
