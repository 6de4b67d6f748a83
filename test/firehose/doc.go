// Package firehose holds end-to-end tests of the pod's event stream,
// com.atproto.sync.subscribeRepos, as served by rhizome serve.
//
// The tests build cmd/rhizome, run it on a loopback port with an embedded
// PLC directory (the shared harness test/internal/podtest), write to it
// over XRPC and read the stream over WebSocket. Frames are decoded and
// checked with indigo, an implementation independent of the pod: every
// #commit must pass indigo's Sync 1.1 inversion check
// (repo.VerifyCommitMessage) and signature check against the key in the
// account's DID document, chain onto the previous commit of its repository
// (since, rev, prevData), and carry a sequence number one more than the
// previous frame's. The suites cover a live stream under a random write
// load, replay by cursor across disconnects, a graceful restart and a
// SIGKILL, the cursor edge cases, and the account lifecycle events.
//
// RHIZOME_FIREHOSE_SEED fixes the PRNG seed; RHIZOME_FIREHOSE_WRITES sets
// the number of write requests of the live test (default 10,000);
// RHIZOME_BIN runs a prebuilt binary instead of building one. The package
// has no non-test code.
package firehose
