// Package migrate holds the end-to-end tests of `rhizome migrate` (issue
// 8, "Migration"): real `rhizome serve` pods on loopback sharing one PLC
// directory served by the test process (test/internal/podtest), and the
// migrate command run as a person would run it.
//
//   - TestMigrate_KilledAndResumed: a 10,000-record account with 200 blobs
//     and preferences moves from pod A to pod B; the migrate process is
//     SIGKILLed at three random points and run again each time; the result
//     is complete (every record by CID, every blob by its bytes, the
//     repository verifies with the key the DID names, the DID names pod
//     B), pod A's account is deactivated, and pod B's firehose announces
//     the move in the order the account-lifecycle guide gives.
//   - TestMigrate_DryRun: counts and plans, changes nothing.
//   - TestMigrate_BadInput: a wrong password, an unreachable pod, the same
//     pod twice, and no rotation key (Rhizome pods do not sign PLC
//     operations for their users) each fail clearly and change nothing.
//   - TestMigrate_ReferencePDS: the reference PDS (@atproto/pds and its
//     PLC directory, from ../shared/peers, started on ports of the test's
//     own; a Rhizome pod joins that directory): a 10,000-record, 200-blob
//     account each way, killed once in the blob copy and resumed, and an
//     account with no key of the user's moved off the reference PDS, which
//     signs the update after its emailed token (--plc-token, read from its
//     database). The test fails if the harness is not installed
//     (../shared/peers/install.sh) or does not start.
//
// The package has no non-test code.
package migrate
