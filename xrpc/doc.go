// Package xrpc puts a pds.PDS on the wire: one route table of XRPC methods
// by NSID, request parsing into typed values, authentication, body and rate
// limits, metrics, and the one place where errors become the protocol's
// {"error", "message"} shape and an HTTP status.
package xrpc
