// Package auth holds the pod's credentials: password hashing (argon2id),
// the session tokens of com.atproto.server.createSession (access and
// refresh JWTs signed with the pod's secret), and inter-service
// authentication JWTs (com.atproto.server.getServiceAuth) signed with an
// account's repository key through a keys.Signer.
//
// OAuth (DPoP-bound tokens, scopes) comes later and will live beside these
// in auth/oauth; the claims here already carry a scope so the XRPC layer
// checks one thing.
package auth
