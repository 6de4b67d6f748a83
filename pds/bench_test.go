package pds

import (
	"fmt"
	"testing"
)

func BenchmarkPDS_CreateRecord(b *testing.B) {
	t := &testing.T{}
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post(fmt.Sprint("bench ", i))}, ValidateAuto, nil); err != nil {
			b.Fatal(err)
		}
	}
}
