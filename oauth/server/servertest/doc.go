// Package servertest is the conformance suite of the OAuth server's
// contracts: [Run] checks a server.Store (requests and their one-shot
// codes, grants with refresh rotation and revocation) and [RunReplay] a
// dpop.ReplayCache. Every implementation runs them from its own tests:
//
//	func TestOAuthStore_Conformance(t *testing.T) {
//		servertest.Run(t, func(t *testing.T) server.Store { return openTemp(t).OAuth() })
//	}
//
// open must return an empty store for every case. The suites use the
// wall clock: stores judge expiry by it.
package servertest
