// Package blobtest is the conformance suite for blobstore.Store. Every
// implementation (blobstore/disk, later an S3 one) calls Run from its own
// tests and must pass it unchanged:
//
//	func TestBlobStore_Conformance(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blobstore.Store { ... a fresh, empty store ... })
//	}
//
// The suite checks what the contract promises: CIDs are raw-codec SHA-256
// of the bytes, the size limit is enforced without reading past it, re-Puts
// are idempotent, accounts are isolated, ranged reads follow the offset
// rules, deletes are scoped to one account, and a Put that fails (too large,
// a failing reader, a cancelled context) leaves nothing visible, even when
// many goroutines Put at once.
//
// Beyond the written contract it also expects what any sane implementation
// does: a negative Get offset is rhizome.Invalid, the undefined CID is never
// found, and a Put cut short by its context fails with an error wrapping
// context.Canceled.
package blobtest
