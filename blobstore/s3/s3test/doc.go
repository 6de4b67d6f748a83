// Package s3test runs a real S3-compatible server for tests: versitygw
// with its POSIX backend over a fresh temporary directory, on a free
// 127.0.0.1 port, with random root credentials.
//
//	srv := s3test.Start(t)       // fails the test if .bin/versitygw is missing
//	url := srv.NewBucket(t)      // s3://rhizome-…?endpoint=http://127.0.0.1:…&region=us-east-1
//	store, err := s3.Open(ctx, url)
//
// Start puts the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
// through t.Setenv, so a test using it cannot be parallel; Env returns the
// same for child processes, such as pod nodes a test starts. Every test
// process uses one pair of random credentials, so several servers in one
// test agree with the environment. The server stops when the test ends.
//
// The binary is installed by .ci/versitygw (make test runs it) into .bin/
// at the root of the module; without it Start fails the test, never skips.
// This package does not import blobstore/s3, so that package's internal
// tests can use it.
package s3test
