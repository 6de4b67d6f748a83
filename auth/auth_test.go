package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

func TestPassword_HashCheck(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	cases := []struct {
		name, hash, pw string
		kind           rhizome.Kind
	}{
		{"match", h, "correct horse", 0},
		{"mismatch", h, "correct horsE", rhizome.Unauthorized},
		{"empty", h, "", rhizome.Unauthorized},
		{"too long", h, strings.Repeat("a", MaxPasswordLen+1), rhizome.Unauthorized},
		{"malformed hash", "$argon2id$v=19$m=1", "x", rhizome.Corrupt},
		{"other algorithm", "$bcrypt$x$y$z$w", "x", rhizome.Corrupt},
		{"huge memory", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43), "x", rhizome.Corrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckPassword(c.hash, c.pw)
			if c.kind == 0 && err != nil || c.kind != 0 && !rhizome.Is(err, c.kind) {
				t.Fatalf("CheckPassword = %v, want kind %v", err, c.kind)
			}
		})
	}
	if _, err := HashPassword(""); !rhizome.Is(err, rhizome.Invalid) {
		t.Fatalf("empty password hashed: %v", err)
	}
}

func TestSessions_Verify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewSessions([]byte("0123456789abcdef0123456789abcdef"), "did:web:pod.test")
	s.Now = func() time.Time { return now }
	did := syntax.DID("did:plc:alice")
	access, _ := s.Access(did, Access)
	refresh, id, _, _ := s.Refresh(did)

	c, err := s.Verify(access, Access, AppPass)
	if err != nil || c.DID != did || c.Scope != Access {
		t.Fatalf("access: %+v %v", c, err)
	}
	if c, err := s.Verify(refresh, Refresh); err != nil || c.ID != id || id == "" {
		t.Fatalf("refresh: %+v %v", c, err)
	}
	t.Run("refresh is not access", func(t *testing.T) {
		if _, err := s.Verify(refresh, Access); rhizome.NameOf(err) != "InvalidToken" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("other pod", func(t *testing.T) {
		other := NewSessions([]byte("0123456789abcdef0123456789abcdef"), "did:web:other.test")
		other.Now = s.Now
		if _, err := other.Verify(access, Access); rhizome.NameOf(err) != "InvalidToken" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("other secret", func(t *testing.T) {
		other := NewSessions([]byte("another secret, 32 bytes long..."), "did:web:pod.test")
		other.Now = s.Now
		if _, err := other.Verify(access, Access); rhizome.NameOf(err) != "InvalidToken" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		if _, err := s.Verify(access[:len(access)-2]+"xx", Access); !rhizome.Is(err, rhizome.Unauthorized) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		now = now.Add(3 * time.Hour)
		defer func() { now = now.Add(-3 * time.Hour) }()
		if _, err := s.Verify(access, Access); rhizome.NameOf(err) != "ExpiredToken" {
			t.Fatalf("got %v", err)
		}
	})
}

func TestService_SignVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, curve := range []keys.Curve{keys.K256, keys.P256} {
		t.Run(curve.String(), func(t *testing.T) {
			s, _ := keys.Generate(curve)
			stranger, _ := keys.Generate(curve)
			iss := syntax.DID("did:plc:alice")
			key := func(d syntax.DID) (keys.PublicKey, error) {
				if d != iss {
					return nil, rhizome.E("resolve", rhizome.NotFound, "no such DID")
				}
				return s.PublicKey(), nil
			}
			tok, err := SignService(s, iss, "did:web:api.test", "app.bsky.feed.getTimeline", now, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if c, err := VerifyService(tok, "did:web:api.test", "app.bsky.feed.getTimeline", key, now); err != nil || c.Iss != string(iss) {
				t.Fatalf("verify: %+v %v", c, err)
			}
			bad := map[string]func() error{
				"wrong audience": func() error { _, err := VerifyService(tok, "did:web:x.test", "", key, now); return err },
				"wrong method":   func() error { _, err := VerifyService(tok, "did:web:api.test", "app.bsky.x", key, now); return err },
				"expired": func() error {
					_, err := VerifyService(tok, "did:web:api.test", "", key, now.Add(2*time.Minute))
					return err
				},
				"wrong key": func() error {
					other, _ := SignService(stranger, iss, "did:web:api.test", "", now, time.Minute)
					_, err := VerifyService(other, "did:web:api.test", "", key, now)
					return err
				},
				"too long-lived": func() error {
					long, _ := SignService(s, iss, "did:web:api.test", "", now, 2*time.Hour)
					_, err := VerifyService(long, "did:web:api.test", "", key, now)
					return err
				},
				"garbage": func() error { _, err := VerifyService("a.b.c", "did:web:api.test", "", key, now); return err },
			}
			for name, f := range bad {
				if err := f(); !rhizome.Is(err, rhizome.Unauthorized) {
					t.Errorf("%s: %v", name, err)
				}
			}
		})
	}
}
