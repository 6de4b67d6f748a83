package dpop

import (
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/keys"
)

func TestJWS_Verify(t *testing.T) {
	for _, curve := range []keys.Curve{keys.P256, keys.K256} {
		signer, err := keys.Generate(curve)
		if err != nil {
			t.Fatal(err)
		}
		key, err := KeyFor(signer.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		other, _ := keys.Generate(curve)
		otherKey, _ := KeyFor(other.PublicKey())
		sign := func(h, c map[string]any) string {
			s, err := SignJWS(signer, h, c)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		good := sign(map[string]any{"kid": "k1", "alg": "none"}, map[string]any{"iss": "me", "aud": []string{"a", "b"}, "iat": 1700000000})
		t.Run(curve.String()+"/round trip", func(t *testing.T) {
			j, err := ParseJWS(good)
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Verify(key); err != nil {
				t.Fatalf("verify: %v", err)
			}
			kid, ok, _ := j.Header("kid")
			iss, _, _ := j.Claim("iss")
			aud, _, _ := j.ClaimStrings("aud")
			iat, _, _ := j.ClaimTime("iat")
			_, hasExp, _ := j.ClaimTime("exp")
			if j.Alg() != key.Alg() || kid != "k1" || !ok || iss != "me" || strings.Join(aud, ",") != "a,b" ||
				!iat.Equal(time.Unix(1700000000, 0)) || hasExp {
				t.Fatalf("alg %q kid %q iss %q aud %v iat %v exp %v", j.Alg(), kid, iss, aud, iat, hasExp)
			}
		})
		refusals := map[string]struct {
			jws string
			key *Key
		}{
			"another key":      {good, otherKey},
			"tampered payload": {swapPayload(good, sign(nil, map[string]any{"iss": "evil"})), key},
			"crit header":      {sign(map[string]any{"crit": []string{"exp"}}, map[string]any{}), key},
		}
		for name, c := range refusals {
			t.Run(curve.String()+"/"+name, func(t *testing.T) {
				j, err := ParseJWS(c.jws)
				if err != nil {
					t.Fatal(err)
				}
				if err := j.Verify(c.key); err == nil {
					t.Fatal("verified")
				}
			})
		}
	}
	t.Run("alg of another curve", func(t *testing.T) {
		k1, _ := keys.Generate(keys.K256)
		p1, _ := keys.Generate(keys.P256)
		pk, _ := KeyFor(p1.PublicKey())
		s, _ := SignJWS(k1, nil, map[string]any{})
		j, _ := ParseJWS(s)
		if err := j.Verify(pk); err == nil {
			t.Fatal("an ES256K JWS verified with a P-256 key")
		}
	})
	t.Run("malformed", func(t *testing.T) {
		for _, s := range []string{"", "a.b", "e30.e30.!!", "e30.W10.AA"} {
			if _, err := ParseJWS(s); err == nil {
				t.Fatalf("parsed %q", s)
			}
		}
	})
}

func swapPayload(a, b string) string {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	return pa[0] + "." + pb[1] + "." + pa[2]
}
