// Package cid implements the content identifiers of the AT Protocol: CIDv1
// with a SHA-256 multihash and the dag-cbor or raw codec, the only "blessed"
// form the protocol allows. A CID is a small comparable value, usable as a
// map key and copied without allocation.
package cid
