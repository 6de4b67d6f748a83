// Package disk is the embedded blobstore.Store: blob bytes in files under
// one local directory, one file per blob per account.
//
// Layout:
//
//	dir/<escaped DID>/<two CID characters>/<CID>   a blob
//	dir/tmp/put-*                                  a Put in progress
//	dir/tmp/del-*                                  an account being deleted
//
// The DID is escaped into one lower-case path element: every byte but a-z,
// 0-9, '.' and '-' becomes '_' and two hex digits ("did:plc:x" is
// "did_3aplc_3ax"; one longer than 200 bytes is replaced by its SHA-256).
// So no DID can name a path outside its own directory, and DIDs differing
// only in case stay apart on case-insensitive filesystems. The two characters
// come from the digest part of the CID string and spread an account's blobs
// over up to 1024 directories.
//
// A Put streams into a temporary file beside the blobs, hashing as it
// writes, fsyncs it, renames it into place and fsyncs the directory, so a
// blob is either wholly present or absent, even across a crash. DeleteAll
// renames the account's directory away in one step before removing it.
// Files are created 0600 and directories 0700.
//
// Temporary files a crash leaves behind are invisible; Open removes those
// untouched for an hour (a younger one may belong to a Put still running
// in another process, such as a CLI command beside the server), and removes
// half-deleted accounts at once.
//
// A Put checks its context between reads; a Read that blocks forever is
// the caller's to bound.
package disk
