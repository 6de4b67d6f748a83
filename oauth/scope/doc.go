// Package scope parses and enforces the OAuth scopes of the AT Protocol:
// the static scopes (atproto and the transition:* scopes) and the granular
// permissions of atproto.com/specs/permission.
//
// # Syntax
//
// A permission scope is a resource name, an optional positional part after
// the first ":" and optional parameters after the first "?", joined by
// "&", with repeated names for lists; both parts are percent-decoded
// ([ParseGeneric]). Each resource has one positional parameter, which may
// instead be given by name but not both ways:
//
//	repo:<nsid|*>[?action=create|update|delete ...]   default all actions
//	rpc:<lxm|*>?aud=<did#service|*>                   aud required; not both *
//	blob:<type/subtype|type/*|*/*>                    or blob?accept=...&accept=...
//	account:<email|repo>[?action=read|manage]         default read; manage includes read
//	identity:<handle|*>
//	include:<nsid>[?aud=<did#service|*>]              a permission set
//
// [Parse] is strict: case-sensitive, every value checked, unknown
// resources and parameters refused, with an error of kind rhizome.Invalid
// saying why. Each parsed scope is a typed value ([Static], [Repo], [RPC],
// [Blob], [Account], [Identity], [Include]) normalised so that equal
// permissions compare equal: lists sorted and deduplicated, a wildcard
// absorbing the rest, NSID authorities lower-cased, media types
// lower-cased, "image/png" dropped beside "image/*". String gives the
// canonical scope string, which parses back to the same value.
//
// # Sets and enforcement
//
// A [Set] holds the scopes of a grant ([ParseSet] for a request's scope
// string, [ParseSetLax] to skip what it cannot parse) and answers the
// pod's questions: [Set.AllowsRepo], [Set.AllowsBlob], [Set.AllowsRPC],
// [Set.AllowsAccount], [Set.AllowsIdentity]. transition:generic allows any
// record operation, blob and service call except chat.bsky.* methods
// (transition:chat.bsky); transition:email allows reading the email
// address. [Set.Collections] and [Set.CollectionPatterns] give the
// collections a grant may write, to narrow an app's event filter.
// [Set.Missing] compares a request with the scope a client declares.
//
// # Permission sets
//
// include:<nsid> names a permission set, a lexicon document whose main
// definition has type "permission-set" and lists permission objects
// ({"type": "permission", "resource": "repo", "collection": [...],
// "action": [...]}, or "rpc" with "lxm" and "aud" or "inheritAud").
// [ParsePermissionSet] reads one and keeps only what a set may grant,
// recording the rest in PermissionSet.Ignored rather than refusing the
// set: repo and rpc permissions only, no wildcards, no service DID as an
// audience (only "*", or inheritAud to take the include's aud), and every
// collection and method in the set's namespace (its NSID minus the last
// segment, or below: app.example.authFull may grant app.example.post and
// app.example.feed.like, not app.other.post).
//
// A [SetResolver] finds sets; [Cache] remembers them with the
// specification's lifetimes (re-resolve after a day, fall back to the old
// copy if that fails, give up after 90 days); [StaticResolver] serves
// documents from memory. [Expand] replaces a set's includes by the
// permissions they grant; an include that cannot be resolved fails it.
// Expand at token issuance and again at refresh: sets may change.
package scope
