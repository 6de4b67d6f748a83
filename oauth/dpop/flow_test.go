package dpop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

func TestVerifier_Verify_Replay(t *testing.T) {
	f := newFixture(t)
	s := newSigner(t, keys.K256)
	proof := build(t, s, header(t, s), f.claims())
	req := Request{Method: "POST", URL: testURL, AccessToken: testToken}
	if _, err := f.v.Verify(context.Background(), proof, req); err != nil {
		t.Fatalf("first use: %v", err)
	}
	_, err := f.v.Verify(context.Background(), proof, req)
	checkRefusal(t, err, CodeInvalidProof, "replayed")

	// Once the proof is too old to pass the time check, its entry goes.
	f.clock.Add(DefaultMaxAge + DefaultLeeway + 2*time.Second)
	_, err = f.v.Verify(context.Background(), proof, req)
	checkRefusal(t, err, CodeInvalidProof, "too old")
	if n := f.replay.Len(); n != 0 {
		t.Errorf("replay cache holds %d entries after expiry", n)
	}
}

func TestVerifier_Verify_RefusedProofNotRemembered(t *testing.T) {
	f := newFixture(t)
	s := newSigner(t, keys.P256)
	proof := build(t, s, header(t, s), with(f.claims(), map[string]any{"nonce": nil}))
	req := Request{Method: "POST", URL: testURL, AccessToken: testToken}
	for range 2 {
		_, err := f.v.Verify(context.Background(), proof, req)
		checkRefusal(t, err, CodeUseNonce, "nonce")
	}
	if f.replay.Len() != 0 {
		t.Error("a refused proof used up a replay entry")
	}
}

func TestVerifier_Verify_NonceWindows(t *testing.T) {
	f := newFixture(t)
	s := newSigner(t, keys.P256)
	req := Request{Method: "POST", URL: testURL, AccessToken: testToken}
	issued := f.nonces.Next()
	for _, step := range []struct {
		advance time.Duration
		ok      bool
	}{{0, true}, {DefaultNoncePeriod, true}, {DefaultNoncePeriod, false}} {
		f.clock.Add(step.advance)
		proof := build(t, s, header(t, s), with(f.claims(), map[string]any{"nonce": issued}))
		_, err := f.v.Verify(context.Background(), proof, req)
		if step.ok && err != nil {
			t.Errorf("nonce refused after %v: %v", step.advance, err)
		}
		if !step.ok {
			checkRefusal(t, err, CodeUseNonce, "stale")
			if !NeedsNonce(err) {
				t.Error("NeedsNonce is false for a stale nonce")
			}
		}
	}
}

func TestVerifier_Verify_HighS(t *testing.T) {
	f := newFixture(t)
	req := Request{Method: "POST", URL: testURL, AccessToken: testToken}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var high, low int
	for high == 0 || low == 0 {
		proof, isHigh := ecdsaProof(t, priv, f.claims())
		if _, err := f.v.Verify(context.Background(), proof, req); err != nil {
			t.Fatalf("ES256 proof from crypto/ecdsa (high S: %v): %v", isHigh, err)
		}
		if isHigh {
			high++
		} else {
			low++
		}
	}
	// An ES256K proof with the high-S twin of a valid signature verifies.
	s := newSigner(t, keys.K256)
	proof := build(t, s, header(t, s), f.claims())
	parts := strings.Split(proof, ".")
	sig, _ := b64.DecodeString(parts[2])
	hi := new(big.Int).Sub(k256N, new(big.Int).SetBytes(sig[32:]))
	twin := parts[0] + "." + parts[1] + "." + b64.EncodeToString(append(sig[:32:32], hi.FillBytes(make([]byte, 32))...))
	if _, err := f.v.Verify(context.Background(), twin, req); err != nil {
		t.Errorf("high-S ES256K proof: %v", err)
	}
	// Its low-S original is then a replay: the jti is what counts.
	_, err = f.v.Verify(context.Background(), proof, req)
	checkRefusal(t, err, CodeInvalidProof, "replayed")
}

func TestVerifier_Verify_URLNormalised(t *testing.T) {
	f := newFixture(t)
	s := newSigner(t, keys.P256)
	req := Request{Method: "GET", URL: "https://Pod.Example.com:443/xrpc/app.bsky.actor.getProfile?actor=alice", AccessToken: testToken}
	for _, htu := range []string{
		"https://pod.example.com/xrpc/app.bsky.actor.getProfile",
		"HTTPS://POD.EXAMPLE.COM/xrpc/app.bsky.actor.getProfile",
		"https://pod.example.com:443/xrpc/./app.bsky.actor.getProfile",
		"https://pod.example.com/xrpc/app.bsky.actor.getProfile?actor=bob#x",
		"https://pod.example.com/xrpc/app.bsky.actor.%67etProfile",
	} {
		proof := build(t, s, header(t, s), with(f.claims(), map[string]any{"htm": "GET", "htu": htu}))
		if _, err := f.v.Verify(context.Background(), proof, req); err != nil {
			t.Errorf("htu %s: %v", htu, err)
		}
	}
}

func TestVerifier_Verify_ServerMistakes(t *testing.T) {
	f := newFixture(t)
	s := newSigner(t, keys.P256)
	proof := build(t, s, header(t, s), f.claims())
	_, err := f.v.Verify(context.Background(), proof, Request{Method: "POST", URL: "/relative/path", AccessToken: testToken})
	if err == nil || rhizome.KindOf(err) == rhizome.Unauthorized {
		t.Errorf("a relative request URL is the server's mistake, not the client's: %v", err)
	}
	if _, err := NewVerifier(Config{Replay: f.replay}); !rhizome.Is(err, rhizome.Invalid) {
		t.Errorf("NewVerifier without Nonces: %v", err)
	}
	if _, err := NewVerifier(Config{Nonces: f.nonces}); !rhizome.Is(err, rhizome.Invalid) {
		t.Errorf("NewVerifier without Replay: %v", err)
	}
}

// fullReplay is a ReplayCache that cannot answer.
type fullReplay struct{}

func (fullReplay) Remember(context.Context, string, time.Time) (bool, error) {
	return false, rhizome.E("remember", rhizome.Unavailable, "down")
}

func TestVerifier_Verify_ReplayCacheDown(t *testing.T) {
	f := newFixture(t)
	v, _ := NewVerifier(Config{Nonces: f.nonces, Replay: fullReplay{}, Now: f.clock.Now})
	s := newSigner(t, keys.P256)
	_, err := v.Verify(context.Background(), build(t, s, header(t, s), f.claims()), Request{Method: "POST", URL: testURL, AccessToken: testToken})
	if !rhizome.Is(err, rhizome.Unavailable) {
		t.Errorf("with the replay cache down: %v, want Unavailable", err)
	}
}

func TestVerifier_Verify_ConcurrentReplay(t *testing.T) {
	f := newFixture(t)
	s := newSigner(t, keys.P256)
	proof := build(t, s, header(t, s), f.claims())
	req := Request{Method: "POST", URL: testURL, AccessToken: testToken}
	var wg sync.WaitGroup
	var ok atomic.Int32
	for range 16 {
		wg.Go(func() {
			if _, err := f.v.Verify(context.Background(), proof, req); err == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if n := ok.Load(); n != 1 {
		t.Errorf("one proof sent 16 times at once was accepted %d times, want 1", n)
	}
}
