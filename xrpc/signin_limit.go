package xrpc

import (
	"net/http"
	"strings"

	"golang.org/x/time/rate"
)

// Password guesses from one address: a burst of signInBurst, then one
// every 6 seconds (10 a minute). A person mistyping never notices; a
// guesser gets 14,400 tries a day per address instead of thousands a
// second.
const (
	signInRate  = rate.Limit(1.0 / 6)
	signInBurst = 10
)

// LimitSignIn wraps the handler of the pod's HTML sign-in forms (the
// OAuth sign-in and the account page): POSTs to a path ending in
// "/sign-in" are limited per address, on top of the per-IP request limit
// every request gets; a refused one is answered 429 with a plain page.
func (s *Server) LimitSignIn(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.opts.Limits.DisableAll {
			err := s.limiter.allowIP(clientIP(r))
			if err == nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sign-in") {
				err = s.limiter.allow("signin:"+clientIP(r), signInRate, signInBurst)
			}
			if err != nil {
				w.Header().Set("Retry-After", "10")
				http.Error(w, "Too many attempts from your address. Wait a little and try again.", http.StatusTooManyRequests)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
