// Package identity holds the end-to-end tests of issue 5's acceptance:
// identities rooted in a key the user holds, across pods and a PLC
// directory that no pod controls.
//
// The tests build cmd/rhizome and run it as a user would: `rhizome
// identity ...` commands and `rhizome serve` pods on loopback ports
// (test/internal/podtest), every pod using one PLC directory that the
// test process serves on loopback with a clock it can move.
//
//   - The drill (TestDrill_LoseThePod): an account made with `rhizome
//     identity create` on pod A, with records and blobs and a backup, is
//     brought up on pod B after pod A and its data folder are destroyed,
//     from the recovery phrase and the backup alone (`rhizome identity
//     restore`); the official TypeScript client (@atproto/api and
//     @atproto/identity, from test/interop's node_modules) then resolves
//     the handle to pod B and reads every record and blob.
//   - The hostile host (TestHostileHost_*): pod A's own rotation key
//     repoints the DID; `rhizome identity audit` flags it and `rhizome
//     identity recover` with the phrase undoes it within 72 hours, and is
//     refused, saying why with the times, after them.
//
// Node.js >= 20 and npm are required (the npm packages are installed with
// npm ci when test/interop/node_modules is missing or stale); a missing
// tool fails the test. The package has no non-test code.
package identity
