// Package multinode holds end-to-end tests of several rhizome serve
// processes ("nodes") sharing one PostgreSQL database and one S3 bucket,
// and of rhizome store copy, which moves a pod from SQLite and disk onto
// them.
//
// Each test makes a fresh database on the PostgreSQL server (the one at
// $RHIZOME_TEST_POSTGRES, by default postgres@127.0.0.1:5432) and a fresh
// bucket on a versitygw it starts from .bin/ (.ci/versitygw installs it;
// make test does this), and fails with a message saying so when either is
// missing. The nodes are real processes built from cmd/rhizome (the
// shared harness test/internal/podtest); RHIZOME_BIN runs a prebuilt
// binary instead. The package has no non-test code.
package multinode
