package grants

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestSignIn_RateLimited: with the default limits, password guesses on
// the HTML sign-in forms from one address are cut off after a burst,
// while the pages themselves still load.
func TestSignIn_RateLimited(t *testing.T) {
	addr := podtest.FreeAddr(t)
	p := podtest.StartArgs(t, podtest.Binary(t), addr, []string{"serve", "--data", t.TempDir(), "--listen", addr, "--plc-url", "embedded"})
	defer p.Kill()
	post := func(path string) int {
		resp, err := http.PostForm(p.URL(path), url.Values{"identifier": {"nobody.test"}, "password": {"guess"}, "csrf": {"x"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var codes []int
	for range 12 {
		codes = append(codes, post("/account/sign-in"))
	}
	for i, c := range codes[:10] {
		if c == http.StatusTooManyRequests {
			t.Fatalf("guess %d was already refused as too many: %v", i+1, codes)
		}
	}
	if codes[10] != http.StatusTooManyRequests || codes[11] != http.StatusTooManyRequests {
		t.Fatalf("guesses 11 and 12 were not limited: %v", codes)
	}
	if c := post("/oauth/authorize/sign-in"); c != http.StatusTooManyRequests {
		t.Errorf("the OAuth sign-in form shares the address's budget: got %d", c)
	}
	resp, err := http.Get(p.URL("/account"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	sb.Write(buf[:n])
	if resp.StatusCode != http.StatusOK || !strings.Contains(sb.String(), "Sign in") {
		t.Errorf("the account page no longer loads: %d", resp.StatusCode)
	}
}
