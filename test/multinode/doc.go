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
//
// TestNodes_PostgresRestart runs a private PostgreSQL server of its own
// (initdb and pg_ctl from /usr/lib/postgresql/*/bin, as the postgres user
// when run as root) so it can restart it; TestInterop_TwoNodes runs
// test/interop with Node.js through a round-robin proxy in front of two
// nodes. RHIZOME_MULTINODE_SECONDS sets how long TestNodes_Concurrency
// writes (10 s by default); BenchmarkNodes_Throughput compares SQLite
// with one and two nodes on PostgreSQL using rhizome bench.
package multinode
