// Package custody does what a person who holds their own rotation key does
// with their did:plc identity, against any PLC directory and any pod:
// create an account whose DID lists their key first, change the DID
// (signing key, PDS, handle, rotation keys), undo what a lower-priority
// key (a host's) did within the 72-hour recovery window, audit a DID's
// history, show who can change what, and move an account to another pod
// from a backup when its old pod is gone.
//
// Nothing here trusts the directory's word: every read fetches the DID's
// whole audit log and checks it with [plc.VerifyLog]; every change is
// built from that verified state, signed with the user's key (a
// keys.Signer, never key bytes), submitted, and then verified by reading
// the log and the DID document back: the new operation must be the live
// head, the operations a recovery meant to nullify must be nullified, and
// the served document must be the one the verified log implies.
//
// # Recovery
//
// A did:plc lists rotation keys in priority order. A key may fork the log
// at an earlier operation, nullifying what followed, if it is listed
// before the key that signed the first nullified operation and the fork
// arrives within 72 hours of it ([plc.RecoveryWindow]). [Tool.PlanRecovery]
// finds the trailing operations not signed by the user's key, checks the
// user's key outranks their signer and that the window is open, and says
// exactly why not otherwise (a *[WindowError] quotes the times).
// [Tool.Recover] then signs a fork from the last operation before them,
// by default also dropping the rotation keys that signed them.
//
// # Moving
//
// [Backup] saves a repository (sync.getRepo) and its blobs; [Tool.Restore]
// brings it up on another pod with nothing of the old one: the new pod
// reserves a signing key (com.atproto.server.reserveSigningKey), the user
// signs a PLC operation naming that pod and key, the pod accepts
// createAccount for the existing DID on a service token signed by the
// user's rotation key, and the repository and blobs are imported.
//
// [Tool.Migrate] moves an account between two live pods the way the AT
// Protocol's migration guide describes (service auth from the old pod,
// createAccount deactivated, importRepo, the blobs listMissingBlobs names,
// preferences, the identity update, activate, deactivate the old), each
// step first checking whether an earlier run did it, so that running it
// again after an interruption continues where it stopped.
//
// Errors are *rhizome.Error: Invalid for a change the rules or the DID's
// state forbid, Forbidden when the user's key lacks the authority,
// Conflict when the directory's answer does not match what was submitted,
// Corrupt when the directory serves a log or document the rules reject.
package custody
