// Package firehose serves the pod's event log as the AT Protocol event
// stream (com.atproto.sync.subscribeRepos).
//
// The log lives in the store: every commit, identity change and account
// status change is appended there in the same transaction as the change,
// with a sequence number the store assigns. This package only reads it.
// A Hub keeps the newest events encoded once as wire frames in a ring
// shared by every subscriber and wakes subscribers when new events land.
// Each subscriber pulls frames at its own pace from its cursor: from the
// ring while it keeps up, from the store while it replays older events.
// Nothing is queued per subscriber, so memory stays bounded however many
// there are, and a slow subscriber slows no one else; one that falls
// further behind the live head than the ring holds is told ConsumerTooSlow
// and disconnected.
package firehose
