// Package bench holds side-by-side benchmarks of Rhizome's repository core
// (the mst and repo packages) against the reference Go implementation,
// indigo's atproto/repo and atproto/repo/mst. It has no non-test code: the
// benchmarks live in *_test.go files so that indigo is only a test
// dependency.
//
// Every benchmark is named Benchmark<Op>/<size>/impl=<rhizome|indigo> (plus
// impl=rhizome-build for the bulk import through mst.Build), so
// that both implementations run on identical inputs and benchstat can put
// them in adjacent columns:
//
//	go test -run '^$' -bench . -benchmem -count 3 -timeout 60m ./bench/ > bench.txt
//	benchstat -col /impl bench.txt
//
// The operations are MST get, insert and delete on trees of 10k, 100k and
// 1M keys (the root recomputed after every mutation), a bulk import of 100k
// keys into an empty tree, creating and signing a one-record commit, and
// exporting and importing (with full verification) a 100k-record repository
// as a CAR file. Fixtures are built once per process, outside the timer.
// docs/BENCHMARKS.md records the results and how to read them.
package bench
