package dpop

import (
	"context"
	"testing"

	"github.com/rhizome-pds/rhizome/keys"
)

func BenchmarkVerifier_Verify(b *testing.B) {
	for _, curve := range []keys.Curve{keys.P256, keys.K256} {
		b.Run(curve.String(), func(b *testing.B) {
			f := newFixture(b)
			f.replay = NewMemoryReplay(b.N+1, f.clock.Now)
			f.v, _ = NewVerifier(Config{Nonces: f.nonces, Replay: f.replay, Now: f.clock.Now})
			s, _ := keys.Generate(curve)
			req := Request{Method: "POST", URL: testURL, AccessToken: testToken}
			proofs := make([]string, b.N)
			for i := range proofs {
				proofs[i], _ = NewProof(s, ProofClaims{Method: "POST", URL: testURL, Nonce: f.nonces.Next(), AccessToken: testToken, IssuedAt: f.clock.Now()})
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := f.v.Verify(context.Background(), proofs[i], req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
