package identity

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// lexiconHost is a loopback server that is both the PLC directory (the
// publisher's DID document) and the publisher's PDS (getRecord).
func lexiconHost(t *testing.T, record string) (*httptest.Server, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var asked []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		switch {
		case r.URL.Path == "/"+string(alicePLC):
			w.Write(docJSON(t, alicePLC, "alice.test", newKey(t), srv.URL))
		case r.URL.Path == "/xrpc/com.atproto.repo.getRecord" && r.URL.Query().Get("rkey") == "app.example.todo.basePermissions":
			w.Write([]byte(record))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &asked
}

func TestResolver_FetchLexicon(t *testing.T) {
	schema := `{"lexicon":1,"id":"app.example.todo.basePermissions","defs":{"main":{"type":"permission-set","permissions":[]}}}`
	srv, asked := lexiconHost(t, `{"uri":"at://x","value":`+schema+`}`)
	var looked []string
	txt := map[string][]string{"_lexicon.todo.example.app.": {"did=" + string(alicePLC)}}
	r, err := NewResolver(Config{PLCURL: srv.URL, AllowLoopback: true,
		LookupTXT: func(_ context.Context, name string) ([]string, error) {
			looked = append(looked, name)
			if recs, ok := txt[name]; ok {
				return recs, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Run("published", func(t *testing.T) {
		b, err := r.FetchLexicon(ctx, "app.example.todo.basePermissions")
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		json.Unmarshal(b, &got)
		json.Unmarshal([]byte(schema), &want)
		if gb, _ := json.Marshal(got); string(gb) != mustJSON(want) {
			t.Errorf("fetched %s, want %s", b, schema)
		}
		if len(looked) == 0 || looked[0] != "_lexicon.todo.example.app." {
			t.Errorf("looked up %v", looked)
		}
		q := (*asked)[len(*asked)-1]
		if !strings.Contains(q, "repo="+strings.ReplaceAll(string(alicePLC), ":", "%3A")) || !strings.Contains(q, "collection=com.atproto.lexicon.schema") {
			t.Errorf("asked the PDS %s", q)
		}
	})
	t.Run("no authority record", func(t *testing.T) {
		_, err := r.FetchLexicon(ctx, syntax.NSID("org.nowhere.set"))
		if !rhizome.Is(err, rhizome.NotFound) {
			t.Errorf("got %v, want NotFound", err)
		}
	})
	t.Run("record missing at the PDS", func(t *testing.T) {
		_, err := r.FetchLexicon(ctx, syntax.NSID("app.example.todo.other"))
		if !rhizome.Is(err, rhizome.NotFound) {
			t.Errorf("got %v, want NotFound", err)
		}
	})
}

func TestResolver_FetchLexicon_NotARecord(t *testing.T) {
	srv, _ := lexiconHost(t, `{"uri":"at://x"}`)
	r, _ := NewResolver(Config{PLCURL: srv.URL, AllowLoopback: true,
		LookupTXT: func(context.Context, string) ([]string, error) { return []string{"did=" + string(alicePLC)}, nil }})
	if _, err := r.FetchLexicon(context.Background(), "app.example.todo.basePermissions"); !rhizome.Is(err, rhizome.Invalid) {
		t.Errorf("a record without a value: %v, want Invalid", err)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
