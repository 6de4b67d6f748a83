package pds

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

const (
	adultJSON   = `{"$type":"app.bsky.actor.defs#adultContentPref","enabled":true}`
	feedsJSON   = `{"$type":"app.bsky.actor.defs#savedFeedsPrefV2","items":[{"id":"a","type":"timeline","value":"following","pinned":true}]}`
	detailsJSON = `{"$type":"app.bsky.actor.defs#personalDetailsPref","birthDate":"1990-01-01T00:00:00.000Z"}`
)

// wantPrefsJSON checks what Preferences returns for did, as JSON text.
func wantPrefsJSON(t *testing.T, p *testPod, did syntax.DID, full bool, want string) {
	t.Helper()
	got, err := p.Preferences(ctx, did, full)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("preferences (full %v):\n got %s\nwant %s", full, got, want)
	}
}

func TestPDS_PutPreferences(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	other := p.account(t, "bob").Account.DID
	t.Run("none at first", func(t *testing.T) {
		wantPrefsJSON(t, p, did, true, `[]`)
	})
	t.Run("round trip, compacted, in order", func(t *testing.T) {
		in := "[\n  " + feedsJSON + ",\n " + strings.Replace(adultJSON, ":", " : ", 1) + "]"
		if err := p.PutPreferences(ctx, did, json.RawMessage(in), true); err != nil {
			t.Fatal(err)
		}
		wantPrefsJSON(t, p, did, true, "["+feedsJSON+","+adultJSON+"]")
		wantPrefsJSON(t, p, other, true, `[]`)
	})
	t.Run("replaces the whole set", func(t *testing.T) {
		if err := p.PutPreferences(ctx, did, json.RawMessage("["+adultJSON+"]"), true); err != nil {
			t.Fatal(err)
		}
		wantPrefsJSON(t, p, did, true, "["+adultJSON+"]")
		if err := p.PutPreferences(ctx, did, json.RawMessage(`[]`), true); err != nil {
			t.Fatal(err)
		}
		wantPrefsJSON(t, p, did, true, `[]`)
	})
	t.Run("unknown account", func(t *testing.T) {
		err := p.PutPreferences(ctx, "did:plc:nobodyhere0000000000000", json.RawMessage(`[]`), true)
		if rhizome.NameOf(err) != "AccountNotFound" {
			t.Fatalf("put for an unknown account: %v", err)
		}
		if _, err := p.Preferences(ctx, "did:plc:nobodyhere0000000000000", true); rhizome.NameOf(err) != "AccountNotFound" {
			t.Fatalf("read for an unknown account: %v", err)
		}
	})
}

func TestPDS_PutPreferences_RefusesBadInput(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	if err := p.PutPreferences(ctx, did, json.RawMessage("["+adultJSON+"]"), true); err != nil {
		t.Fatal(err)
	}
	big := fmt.Sprintf(`[{"$type":"app.bsky.actor.defs#hiddenPostsPref","items":[%q]}]`, strings.Repeat("x", MaxPreferencesBytes))
	cases := []struct{ name, in, msg string }{
		{"missing", ``, "required"},
		{"null", `null`, "required"},
		{"not an array", `{"$type":"app.bsky.actor.defs#adultContentPref"}`, "JSON array"},
		{"malformed", `[{"$type":`, "JSON array"},
		{"not an object", `[1]`, "not a JSON object"},
		{"null item", `[null]`, "not a JSON object"},
		{"no $type", `[{"enabled":true}]`, "missing a $type"},
		{"$type not a string", `[{"$type":7}]`, "missing a $type"},
		{"empty $type", `[{"$type":""}]`, "missing a $type"},
		{"$type not a type name", `[{"$type":"app.bsky.actor.defs#"}]`, "not a lexicon type name"},
		{"$type outside app.bsky", `[` + adultJSON + `,{"$type":"com.example.pref"}]`, "not in the app.bsky namespace"},
		{"$type like app.bsky", `[{"$type":"app.bskyx.actor.defs#adultContentPref"}]`, "not in the app.bsky namespace"},
		{"too big", big, "exceed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := p.PutPreferences(ctx, did, json.RawMessage(c.in), true)
			if !rhizome.Is(err, rhizome.Invalid) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want an Invalid error mentioning %q", err, c.msg)
			}
			wantPrefsJSON(t, p, did, true, "["+adultJSON+"]")
		})
	}
}

func TestPDS_PutPreferences_AppPasswords(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	if err := p.PutPreferences(ctx, did, json.RawMessage("["+detailsJSON+","+adultJSON+"]"), true); err != nil {
		t.Fatal(err)
	}
	t.Run("do not see personal details", func(t *testing.T) {
		wantPrefsJSON(t, p, did, false, "["+adultJSON+"]")
		wantPrefsJSON(t, p, did, true, "["+detailsJSON+","+adultJSON+"]")
	})
	t.Run("may not set personal details", func(t *testing.T) {
		err := p.PutPreferences(ctx, did, json.RawMessage("["+detailsJSON+"]"), false)
		if !rhizome.Is(err, rhizome.Invalid) || !strings.Contains(err.Error(), "authorization") {
			t.Fatalf("app password setting personal details: %v", err)
		}
		wantPrefsJSON(t, p, did, true, "["+detailsJSON+","+adultJSON+"]")
	})
	t.Run("replace the rest and keep personal details", func(t *testing.T) {
		if err := p.PutPreferences(ctx, did, json.RawMessage("["+feedsJSON+"]"), false); err != nil {
			t.Fatal(err)
		}
		wantPrefsJSON(t, p, did, true, "["+detailsJSON+","+feedsJSON+"]")
		wantPrefsJSON(t, p, did, false, "["+feedsJSON+"]")
	})
}

func TestPDS_PutPreferences_Status(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	put := func(v string) error { return p.PutPreferences(ctx, did, json.RawMessage("["+v+"]"), true) }
	t.Run("deactivated may read and write", func(t *testing.T) {
		if err := p.SetStatus(ctx, did, store.Deactivated); err != nil {
			t.Fatal(err)
		}
		if err := put(adultJSON); err != nil {
			t.Fatal(err)
		}
		wantPrefsJSON(t, p, did, true, "["+adultJSON+"]")
	})
	t.Run("taken down may read, not write", func(t *testing.T) {
		if err := p.SetStatus(ctx, did, store.Takendown); err != nil {
			t.Fatal(err)
		}
		if err := put(feedsJSON); rhizome.NameOf(err) != "AccountTakedown" {
			t.Fatalf("put of a taken-down account: %v", err)
		}
		wantPrefsJSON(t, p, did, true, "["+adultJSON+"]")
	})
	t.Run("go with the account", func(t *testing.T) {
		if err := p.DeleteAccount(ctx, did); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Preferences(ctx, did, true); !rhizome.Is(err, rhizome.NotFound) {
			t.Fatalf("preferences of a deleted account: %v", err)
		}
	})
}
