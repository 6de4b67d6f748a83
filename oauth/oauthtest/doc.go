// Package oauthtest is an AT Protocol OAuth client for tests, as
// net/http/httptest is a server for them: a loopback development client
// (client_id http://localhost?...) with its own DPoP key that drives a
// pod's authorization server through PAR, the sign-in and consent forms
// (as a browser without JavaScript would) and the code exchange, then
// sends DPoP-bound resource requests, retrying once with the server's
// nonce as the profile asks.
//
// It speaks only to the base URL it is given; tests point it at pods on
// loopback.
package oauthtest
