package scope

import "testing"

const benchScope = "atproto transition:email repo:app.example.todo?action=create repo?collection=app.example.a&collection=app.example.b " +
	"blob:image/* rpc:app.example.getFeed?aud=did:web:api.example.com%23svc account:email identity:handle"

func BenchmarkParseSet(b *testing.B) {
	for range b.N {
		if _, err := ParseSet(benchScope); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSet_AllowsRepo(b *testing.B) {
	s, _ := ParseSet(benchScope)
	b.ReportAllocs()
	for range b.N {
		if !s.AllowsRepo("app.example.b", ActionCreate) {
			b.Fatal("refused")
		}
	}
}
