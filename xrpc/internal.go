package xrpc

import "context"

type internalKey struct{}

// Internal marks a request context as coming from this process (the
// pod's own scheduled backups, say): such requests skip the per-IP rate
// limit, which exists for clients on the network. Only code in the
// process can set it.
func Internal(ctx context.Context) context.Context {
	return context.WithValue(ctx, internalKey{}, true)
}

func isInternal(ctx context.Context) bool {
	v, _ := ctx.Value(internalKey{}).(bool)
	return v
}
