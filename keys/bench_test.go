package keys

import "testing"

var benchMsg = make([]byte, 256) // about the size of a signed commit

func BenchmarkSigner_Sign(b *testing.B) {
	for _, c := range curves {
		b.Run(c.String(), func(b *testing.B) {
			s := mustGenerate(b, c)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Sign(benchMsg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPublicKey_Verify(b *testing.B) {
	for _, c := range curves {
		b.Run(c.String(), func(b *testing.B) {
			s := mustGenerate(b, c)
			sig, err := s.Sign(benchMsg)
			if err != nil {
				b.Fatal(err)
			}
			pub := s.PublicKey()
			b.ReportAllocs()
			for b.Loop() {
				if err := pub.Verify(benchMsg, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParsePublicDIDKey(b *testing.B) {
	for _, did := range []string{p256DID, k256DID} {
		b.Run(did[:13], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParsePublicDIDKey(did); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
