// Package plc implements did:plc, the DID method most AT Protocol accounts
// use: signed operations, the rules that decide which operations a DID's
// log may hold, verification of a whole audit log, a PLC directory served
// over HTTP on top of the store contract, and a client for any directory.
//
// The rules follow the did:plc specification (v0.3.0,
// https://web.plc.directory/spec/v0.1/did-plc) and the reference directory:
//
//   - an [Operation] is a plc_operation (rotation keys, verification
//     methods, alsoKnownAs, services, prev), a plc_tombstone (prev only), or
//     a legacy create (signingKey, recoveryKey, handle, service), accepted
//     only as the first operation of an old log;
//   - operations are hashed and signed as DRISL (canonical DAG-CBOR); prev
//     is the CID of the previous operation written as a string, not a link;
//   - the signature covers the DRISL encoding without the sig field and is
//     a 64-byte low-S r||s ECDSA signature, base64url without padding and
//     with zero padding bits, by a P-256 or secp256k1 rotation key;
//   - the DID is "did:plc:" and the first 24 characters of the lower-case
//     base32 SHA-256 of the signed genesis operation;
//   - an operation must be signed by a rotation key of the operation it
//     names as prev. If prev already has a successor, the new operation
//     forks the log and nullifies that successor and everything after it;
//     it must then be signed by a key listed strictly before the key that
//     signed the successor, and arrive within 72 hours of it
//     ([RecoveryWindow]);
//   - a tombstone has no rotation keys, so nothing can follow it except a
//     fork that nullifies it.
//
// [VerifyLog] checks a DID's whole audit log (every operation with its CID,
// timestamp and nullified flag) against these rules. A [Directory] accepts
// operations over a store.PLC, enforcing in addition the directory's
// limits on new operations ([Operation.Validate]), and its
// [Directory.Handler] serves the PLC directory HTTP API. A [Client] talks
// to any directory. A [Mirror] follows another directory's export (by
// sequence number, or by createdAt for older directories), verifies every
// operation by the same rules, stores the ones that pass, serves them
// read-only with the same API, and reports the operations the other
// directory accepted that the rules reject (GET /_mirror/rejected), so no
// one has to trust a single directory operator.
//
// Errors are *rhizome.Error: Invalid for an operation or log that breaks a
// rule, NotFound for an unknown DID, NotFound wrapping [ErrGone] for a
// tombstoned one, TooLarge for oversized input, Unavailable for a
// directory that cannot be reached.
package plc
