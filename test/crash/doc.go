// Package crash holds end-to-end crash-safety tests of the Rhizome pod.
//
// The tests build cmd/rhizome, run it as a child process on a loopback
// port with an embedded PLC directory, and SIGKILL it while concurrent
// writers are committing. After every restart on the same data folder they
// check that every acknowledged write survived with the acknowledged CID,
// that each repository verifies end to end against the account's signing
// key, and that the record index agrees exactly with the committed tree.
//
// RHIZOME_CRASH_KILLS sets the number of kill cycles (default 50);
// RHIZOME_CRASH_SEED fixes the PRNG seed; RHIZOME_BIN runs a prebuilt
// binary instead of building one. The package has no non-test code.
package crash
