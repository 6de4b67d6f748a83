package syntax

import "testing"

// TestParse_NoAllocations holds the parsers to their promise of not
// allocating on success: they run on every XRPC request.
func TestParse_NoAllocations(t *testing.T) {
	cases := map[string]func() error{
		"ParseDID":    func() error { _, err := ParseDID("did:plc:7iza6de2dwap2sbkpav7c6c6"); return err },
		"ParseHandle": func() error { _, err := ParseHandle("alice.bsky.social"); return err },
		"ParseAtIdentifier": func() error {
			_, err := ParseAtIdentifier("alice.bsky.social")
			return err
		},
		"ParseNSID":      func() error { _, err := ParseNSID("app.bsky.feed.post"); return err },
		"ParseRecordKey": func() error { _, err := ParseRecordKey("3jzfcijpj2z2a"); return err },
		"ParseTID":       func() error { _, err := ParseTID("3jzfcijpj2z2a"); return err },
		"ParseATURI": func() error {
			_, err := ParseATURI("at://did:plc:7iza6de2dwap2sbkpav7c6c6/app.bsky.feed.post/3jzfcijpj2z2a")
			return err
		},
		"ParseDatetime": func() error {
			_, err := ParseDatetime("1985-04-12T23:20:50.123-07:00")
			return err
		},
		"ParseLanguage": func() error {
			_, err := ParseLanguage("en-GB-boont-r-extended-sequence-x-private")
			return err
		},
		"ParseCIDString": func() error {
			_, err := ParseCIDString("bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm")
			return err
		},
		"ParseURI": func() error { _, err := ParseURI("https://example.com/x?y#z"); return err },
		"ATURI accessors": func() error {
			u := ATURI("at://a.test/a.b.c/k")
			_, _, _ = u.Authority(), u.Collection(), u.RecordKey()
			return nil
		},
		"Datetime.Time": func() error { _ = Datetime("1985-04-12T23:20:50.123Z").Time(); return nil },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			if err := f(); err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(100, func() { _ = f() }); n != 0 {
				t.Errorf("%v allocations per call, want 0", n)
			}
		})
	}
}
