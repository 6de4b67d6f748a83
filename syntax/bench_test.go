package syntax

import "testing"

var sinkErr error

func BenchmarkParseDID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, sinkErr = ParseDID("did:plc:7iza6de2dwap2sbkpav7c6c6")
	}
}

func BenchmarkParseDID_Web(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, sinkErr = ParseDID("did:web:pds.example.com%3A8080")
	}
}

func BenchmarkParseHandle(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, sinkErr = ParseHandle("alice.bsky.social")
	}
}

func BenchmarkParseNSID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, sinkErr = ParseNSID("com.atproto.repo.createRecord")
	}
}

func BenchmarkParseATURI(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, sinkErr = ParseATURI("at://did:plc:7iza6de2dwap2sbkpav7c6c6/app.bsky.feed.post/3jzfcijpj2z2a")
	}
}

func BenchmarkParseTID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, sinkErr = ParseTID("3jzfcijpj2z2a")
	}
}

func BenchmarkParseDatetime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, sinkErr = ParseDatetime("1985-04-12T23:20:50.123Z")
	}
}

func BenchmarkTIDClock_Next(b *testing.B) {
	c := NewTIDClock(RandomClockID())
	b.ReportAllocs()
	var t TID
	for b.Loop() {
		t = c.Next()
	}
	_ = t
}

func BenchmarkTIDClock_NextParallel(b *testing.B) {
	c := NewTIDClock(RandomClockID())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = c.Next()
		}
	})
}
