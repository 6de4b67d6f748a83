package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rhizome-pds/rhizome"
)

// fakePDS answers just enough XRPC for the create phase; createRecord fails
// when fail says so for the n-th call (from 1).
type fakePDS struct {
	invites, accounts, records atomic.Int64
	fail                       func(n int64) bool
}

func (f *fakePDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/_health":
		fmt.Fprint(w, `{"version":"fake-1"}`)
	case "/xrpc/com.atproto.server.describeServer":
		fmt.Fprint(w, `{"availableUserDomains":[".bench.test"],"inviteCodeRequired":true}`)
	case "/xrpc/com.atproto.server.createInviteCode":
		f.createInvite(w, r)
	case "/xrpc/com.atproto.server.createAccount":
		f.createAccount(w, r)
	case "/xrpc/com.atproto.repo.createRecord":
		f.createRecord(w)
	default:
		w.WriteHeader(http.StatusNotImplemented)
		fmt.Fprint(w, `{"error":"MethodNotImplemented"}`)
	}
}

func (f *fakePDS) createInvite(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "hunter2" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"AuthenticationRequired"}`)
		return
	}
	fmt.Fprintf(w, `{"code":"inv-%d"}`, f.invites.Add(1))
}

func (f *fakePDS) createAccount(w http.ResponseWriter, r *http.Request) {
	var in struct{ Handle, InviteCode string }
	json.NewDecoder(r.Body).Decode(&in)
	label, ok := strings.CutSuffix(in.Handle, ".bench.test")
	if !ok || len(label) > 18 || strings.Contains(label, ".") || !strings.HasPrefix(in.InviteCode, "inv-") {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"InvalidRequest","message":"bad handle %q or invite %q"}`, in.Handle, in.InviteCode)
		return
	}
	n := f.accounts.Add(1)
	fmt.Fprintf(w, `{"did":"did:plc:bench%019d","handle":%q,"accessJwt":"tok"}`, n, in.Handle)
}

func (f *fakePDS) createRecord(w http.ResponseWriter) {
	n := f.records.Add(1)
	if f.fail(n) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"error":"InternalServerError","message":"disk on fire"}`)
		return
	}
	fmt.Fprintf(w, `{"uri":"at://did:plc:bench0000000000000000001/app.bsky.feed.post/3kabc%08d","cid":"x"}`, n)
}

func fakeConfig(url string) Config {
	cfg := Defaults()
	cfg.URL, cfg.Concurrency, cfg.Ops, cfg.Warmup = url+"/", 2, 400, 0
	cfg.Phases, cfg.AdminPassword = []string{PhaseCreate}, "hunter2"
	return cfg
}

func TestRun_errors(t *testing.T) {
	t.Run("under 1% is counted, not fatal", func(t *testing.T) {
		f := &fakePDS{fail: func(n int64) bool { return n%200 == 0 }}
		srv := httptest.NewServer(f)
		defer srv.Close()
		var progress bytes.Buffer
		cfg := fakeConfig(srv.URL)
		cfg.Progress = &progress
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		p := rep.Phases[0]
		if p.Ops != 400 || p.Errors != 2 || p.OK() != 398 || !strings.Contains(p.FirstError, "HTTP 500") {
			t.Errorf("phase %+v, want 400 calls with 2 errors", p)
		}
		if f.invites.Load() != 2 || f.accounts.Load() != 2 || rep.ServerVersion != "fake-1" {
			t.Errorf("%d invites, %d accounts, version %q; want 2, 2, fake-1", f.invites.Load(), f.accounts.Load(), rep.ServerVersion)
		}
		if !strings.Contains(progress.String(), "[bench] createRecord: 398 ok, 2 errors") {
			t.Errorf("progress output:\n%s", progress.String())
		}
	})
	t.Run("over 1% stops the run with the XRPC body", func(t *testing.T) {
		f := &fakePDS{fail: func(n int64) bool { return n > 10 }}
		srv := httptest.NewServer(f)
		defer srv.Close()
		rep, err := Run(context.Background(), fakeConfig(srv.URL))
		if err == nil || !strings.Contains(err.Error(), `"message":"disk on fire"`) {
			t.Fatalf("err = %v, want the first error's XRPC body", err)
		}
		p := rep.Phases[0]
		if p.Errors <= 4 || p.Ops >= 400 || f.records.Load() >= 400 {
			t.Errorf("phase %+v after %d calls; want it stopped soon after 4 errors", p, f.records.Load())
		}
	})
	t.Run("invites required without a way to get one", func(t *testing.T) {
		srv := httptest.NewServer(&fakePDS{fail: func(int64) bool { return false }})
		defer srv.Close()
		cfg := fakeConfig(srv.URL)
		cfg.AdminPassword = ""
		if _, err := Run(context.Background(), cfg); !rhizome.Is(err, rhizome.Unauthorized) {
			t.Errorf("err = %v, want Unauthorized", err)
		}
	})
	t.Run("wrong admin password", func(t *testing.T) {
		srv := httptest.NewServer(&fakePDS{fail: func(int64) bool { return false }})
		defer srv.Close()
		cfg := fakeConfig(srv.URL)
		cfg.AdminPassword = "wrong"
		if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
			t.Errorf("err = %v, want the 401", err)
		}
	})
}
