package lexicon

import (
	"strings"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
)

func TestFormats(t *testing.T) {
	cases := []struct {
		format string
		valid  []string
		bad    []string
	}{
		{"at-identifier", []string{"alice.bsky.social", "did:plc:ewvi7nxzyoun6zhxrhs64oiz"}, []string{"alice", "did:", "@alice.test"}},
		{"at-uri", []string{"at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3jui7kd54zh2y", "at://alice.test"},
			[]string{"https://example.com", "at://", "at://alice.test/app.bsky.feed.post/a#frag/x"}},
		{"cid", []string{"bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq"},
			[]string{"123", "QmWATWQ7fVPP2EFGu71UkfnqhYXDYH566qy47CnJDgvs8u", "bafy rei"}},
		{"datetime", []string{"1985-04-12T23:20:50.123Z", "1985-04-12T23:20:50Z", "1985-04-12T23:20:50.123-07:00"},
			[]string{"1985-04-12", "1985-04-12T23:20:50.123", "1985-04-12T23:20:50.123-00:00", "1985-02-30T00:00:00Z"}},
		{"did", []string{"did:plc:ewvi7nxzyoun6zhxrhs64oiz", "did:web:example.com", "did:method:any-thing"},
			[]string{"did:PLC:abc", "did:plc:", "plc:abc"}},
		{"handle", []string{"alice.bsky.social", "xn--ls8h.test", "handle.invalid"}, []string{"alice", "-a.test", "a..test"}},
		{"language", []string{"en", "pt-BR", "hy-Latn-IT-arevela", "i-default"}, []string{"english", "e", "123"}},
		{"nsid", []string{"app.bsky.feed.post", "com.example.fooBar"}, []string{"app.bsky", "app.bsky.feed.1post", "app..feed"}},
		{"record-key", []string{"self", "3jui7kd54zh2y", "a:b~c_d-e.f"}, []string{".", "..", "a/b", ""}},
		{"tid", []string{"3jui7kd54zh2y"}, []string{"000", "3JUI7KD54ZH2Y", "3jui7kd54zh2"}},
		{"uri", []string{"https://example.com/path?q=1", "at://alice.test", "did:plc:abc", "dns:example.com"},
			[]string{"example.com", "https:", "1http://x", "https://exa mple.com"}},
	}
	if len(cases) != len(formats) {
		t.Fatalf("table covers %d formats, catalog has %d", len(cases), len(formats))
	}
	for _, c := range cases {
		check := formats[c.format]
		if check == nil {
			t.Fatalf("format %s is missing", c.format)
		}
		t.Run(c.format, func(t *testing.T) {
			for _, s := range c.valid {
				if err := check(s); err != nil {
					t.Errorf("%q: %v", s, err)
				}
			}
			for _, s := range c.bad {
				if err := check(s); !rhizome.Is(err, rhizome.Invalid) {
					t.Errorf("%q: error %v, want Invalid", s, err)
				}
			}
		})
	}
}

func TestFormats_URILength(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", 8200)
	if err := formats["uri"](long); err == nil {
		t.Fatalf("a %d-byte URI passed, want an error above 8 KB", len(long))
	}
}
