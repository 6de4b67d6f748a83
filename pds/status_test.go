package pds

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestPDS_AccountStatus(t *testing.T) {
	p, ids := newAdoptPod(t)
	ctx := context.Background()
	s, err := p.CreateAccount(ctx, NewAccount{Handle: "stat.test", Email: "stat@example.com", Password: "password-stat"})
	if err != nil {
		t.Fatal(err)
	}
	did := s.Account.DID
	b, err := p.UploadBlob(ctx, did, "image/png", strings.NewReader("not really a png"))
	if err != nil {
		t.Fatal(err)
	}
	rec := post("with image")
	rec["embed"] = map[string]any{"$type": "app.bsky.embed.images", "images": []any{map[string]any{"alt": "", "image": b.Map()}}}
	for _, v := range []map[string]any{rec, post("plain"), post("another")} {
		if _, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: v}, ValidateAuto, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.PutPreferences(ctx, did, json.RawMessage(`[`+adultJSON+`]`), true); err != nil {
		t.Fatal(err)
	}
	st, err := p.AccountStatus(ctx, did)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Active || st.Records != 3 || st.ExpectedBlobs != 1 || st.ImportedBlobs != 1 || st.PrivateState != 1 || st.Blocks < 4 || st.Head.Rev == "" {
		t.Fatalf("status %+v", st)
	}
	if st.ValidDID {
		t.Errorf("validDid true while the DID's state is unknown")
	}
	key, err := p.signer(ctx, did)
	if err != nil {
		t.Fatal(err)
	}
	ids.set(did, DIDState{SigningKey: key.PublicKey(), PDS: adoptURL})
	if st, _ = p.AccountStatus(ctx, did); !st.ValidDID {
		t.Errorf("validDid false although the DID names this pod and key")
	}
	ids.set(did, DIDState{SigningKey: key.PublicKey(), PDS: "https://elsewhere.example"})
	if st, _ = p.AccountStatus(ctx, did); st.ValidDID {
		t.Errorf("validDid true although the DID names another pod")
	}
}
