// Package s3 is the blobstore.Store for several pod nodes sharing blob
// storage: blob bytes in a bucket of any S3-compatible service, through
// minio-go with path-style addressing.
//
//	s, err := s3.Open(ctx, "s3://blobs?endpoint=s3.example.com&region=eu-west-3")
//
// # URL and credentials
//
// ParseURL reads s3://bucket?endpoint=host[:port][&region=r][&prefix=p]
// [&insecure=true][&create=true] into a Config, refusing unknown or repeated
// parameters, paths, fragments and user info. The endpoint is required (no
// AWS default); it may carry http:// (plain HTTP, as insecure=true) or
// https://. With no region the client asks the service. The bucket must
// exist unless create=true: a typo in a bucket name then fails Open instead
// of quietly starting an empty store. Credentials come from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN only, never
// from the URL, the ~/.aws files or instance metadata; New takes them
// explicitly. Requests are tried up to 3 times, as AWS SDKs do.
//
// # Layout
//
//	<prefix><escaped DID>/<two CID characters>/<CID>   a blob
//	<prefix>tmp/put-<random>                           a Put in progress
//
// The layout below the prefix is blobstore/disk's, with the same DID
// escaping (every byte but a-z, 0-9, '.' and '-' is '_' and two hex digits;
// longer than 200 bytes, "sha256-" and the hex digest), so no DID yields a
// "." or ".." segment or a '/' even on services that map keys to files
// (versitygw's POSIX backend does), and keys copy 1:1 between the two.
//
// # Put: streaming, memory, atomicity
//
// Put hashes the body as it reads it, checking its context before each
// read and failing with TooLarge after max+1 bytes. It fills one buffer of
// at most PartSize (8 MiB; it starts at 32 KiB and doubles, then a whole
// part comes from a pool), so a Put holds at most one part in memory
// whatever the blob's size.
//
//   - A blob that ends within the first part is sent in one PUT straight to
//     its key. Its CID is known by then, and S3 PUT is atomic: the key shows
//     the old object or the whole new one.
//   - A larger blob's key is not known until its last byte is hashed, so it
//     is uploaded in parts to a temporary key, then promoted: a server-side
//     CopyObject to the blob's key (copies over 5 GiB go in parts), which is
//     as atomic as a PUT, and the temporary object is removed. If the key
//     already holds that many bytes the copy is skipped: keys are content
//     addresses. Complete, copy and delete never pass the bytes through the
//     pod.
//
// So nothing appears under a blob key before all of it was received and
// hashed. A failed Put aborts its multipart upload (with a fresh, bounded
// context if its own has ended); a crash leaves at most a temporary object
// or an unfinished upload under tmp/, which no Get or Stat can see. Open
// removes those older than an hour (a younger one may belong to a Put still
// running on another node); a bucket lifecycle rule aborting incomplete
// uploads is a good second net.
//
// Every PUT of a blob or part carries the SHA-256 of its bytes in
// x-amz-content-sha256, computed by Put itself, and the service refuses a
// body that does not match: what is stored is what was hashed into the CID.
// A re-Put of a small blob the account has rewrites the same bytes.
//
// # Reads and deletes
//
// Get is one GET, ranged unless it asks for the whole blob, whose body
// streams to the caller; the size comes from Content-Range. A range the
// service cannot satisfy (an offset at or past the end) is resolved by a
// HEAD: at the end it reads nothing, beyond it is Invalid. Delete of an
// absent blob is nil. DeleteAll lists the account's keys and deletes them in
// batches; S3 has no rename, so unlike disk the blobs do not vanish in one
// step, and a DeleteAll that fails part way is completed by running it
// again.
//
// # Errors
//
// Errors are *rhizome.Error with Op "blobstore put", "blobstore get", ...:
// NoSuchKey is NotFound, an unsatisfiable range Invalid, throttling, 5xx
// and network failures Unavailable; a missing bucket or refused credentials
// are Other, for the operator to fix, never a user-facing 403 or 404. A
// cancelled context yields an error wrapping context.Canceled.
//
// Package s3test starts a real S3-compatible server (versitygw, installed
// by .ci/versitygw) for this package's tests and for multi-node tests.
package s3
