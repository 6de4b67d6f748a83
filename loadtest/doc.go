// Package loadtest is a load generator for any AT Protocol personal data
// server: the engine behind `rhizome bench`.
//
// Run creates one account per client (or one shared account with
// SingleRepo), then drives Concurrency clients through timed phases of
// plain-JSON XRPC calls over keep-alive HTTP:
//
//   - create: com.atproto.repo.createRecord of a short post
//   - get: com.atproto.repo.getRecord of a random record created above
//   - list: com.atproto.repo.listRecords, first page of 100
//   - apply: com.atproto.repo.applyWrites with a batch of 10 creates
//   - getrepo: a fresh repository of RepoRecords records is built with
//     sequential applyWrites batches of 200, then com.atproto.sync.getRepo
//     is timed GetRepoRuns times and the CAR is verified (signature, MST,
//     record count).
//   - fanout (only when asked for): Subscribers firehose subscribers
//     (com.atproto.sync.subscribeRepos) follow the live stream while
//     createRecord calls go out open-loop at CommitRate per second; it
//     reports delivery latency (receive time minus the event's time),
//     lost events, seq gaps, what became of deliberately slow
//     subscribers, and server and client CPU and memory.
//   - drain (only when asked for): one subscriber follows the stream live
//     during a bulk import of applyWrites batches, then a fresh one
//     replays from cursor 0; events/s and MB/s of both.
//
// Each phase is preceded by Warmup untimed calls. A Phase reports the calls
// made, errors, wall time, successful calls per second and latency
// percentiles (nearest rank over every successful call). With a server PID
// on the same machine it also reports the server's CPU seconds per phase and
// its resident and peak resident memory from /proc.
//
// The phases, their order and the percentile rule follow the Node reference
// load generator used for other servers, so figures from both are
// comparable. Any non-2xx answer is an error; a phase in which more than 1%
// of calls fail stops the run with the first failure's XRPC error body.
package loadtest
