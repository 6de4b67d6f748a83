package plc

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
)

const testDID = "did:plc:yk4dd2qkboz2yv6tpubpc6co"

func stubServer(t *testing.T, status int, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return &Client{BaseURL: srv.URL + "/", HTTP: srv.Client()}
}

func TestClient_Errors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		kind   rhizome.Kind
		gone   bool
		text   string
	}{
		{"not found", 404, `{"message":"DID not registered"}`, rhizome.NotFound, false, "DID not registered"},
		{"gone", 410, `{"message":"DID not available"}`, rhizome.NotFound, true, "DID not available"},
		{"bad request", 400, `{"message":"Invalid signature"}`, rhizome.Invalid, false, "Invalid signature"},
		{"server error", 500, `oops`, rhizome.Unavailable, false, "Internal Server Error"},
		{"unavailable", 503, ``, rhizome.Unavailable, false, "503"},
		{"rate limited", 429, ``, rhizome.Unavailable, false, "429"},
		{"too large", 413, ``, rhizome.TooLarge, false, "413"},
		{"not JSON", 200, `<html>`, rhizome.Invalid, false, ""},
		{"other DID", 200, `{"id":"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"}`, rhizome.Corrupt, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := stubServer(t, tc.status, tc.body).Resolve(context.Background(), testDID)
			if !rhizome.Is(err, tc.kind) || errors.Is(err, ErrGone) != tc.gone || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err %v (kind %v), want kind %v gone %t text %q", err, rhizome.KindOf(err), tc.kind, tc.gone, tc.text)
			}
		})
	}
}

func TestClient_Limits(t *testing.T) {
	t.Run("response too large", func(t *testing.T) {
		c := stubServer(t, 200, `{"id":"`+strings.Repeat("a", MaxDocumentResponse)+`"}`)
		if _, err := c.Data(context.Background(), testDID); !rhizome.Is(err, rhizome.TooLarge) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		hc := srv.Client()
		hc.Timeout = 50 * time.Millisecond
		c := &Client{BaseURL: srv.URL, HTTP: hc}
		if _, err := c.LastOp(context.Background(), testDID); !rhizome.Is(err, rhizome.Unavailable) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("server down", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c := &Client{BaseURL: url}
		if _, err := c.AuditLog(context.Background(), testDID); !rhizome.Is(err, rhizome.Unavailable) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestClient_BadInput(t *testing.T) {
	ctx := context.Background()
	for _, base := range []string{"ftp://example.com", "://", "http://"} {
		c := &Client{BaseURL: base}
		if _, err := c.Data(ctx, testDID); !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("base %q: err %v", base, err)
		}
	}
	c := stubServer(t, 200, `{}`)
	for _, did := range []string{"did:plc:../../etc", "did:web:example.com", ""} {
		if _, err := c.Resolve(ctx, syntaxDID(did)); !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("did %q: err %v", did, err)
		}
		if err := c.Submit(ctx, syntaxDID(did), &Operation{Type: TypeOperation, Sig: "x"}); !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("submit for did %q: err %v", did, err)
		}
	}
}
