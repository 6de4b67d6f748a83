package syntax

import (
	"encoding/json"
	"strings"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
)

// record holds one of every type, to exercise the TextMarshaler and
// TextUnmarshaler implementations through encoding/json.
type record struct {
	DID       DID          `json:"did"`
	Handle    Handle       `json:"handle"`
	AtID      AtIdentifier `json:"atid"`
	NSID      NSID         `json:"nsid"`
	RecordKey RecordKey    `json:"rkey"`
	TID       TID          `json:"tid"`
	ATURI     ATURI        `json:"aturi"`
	Datetime  Datetime     `json:"datetime"`
	Language  Language     `json:"language"`
	CID       CIDString    `json:"cid"`
	URI       URI          `json:"uri"`
}

const validRecord = `{"did":"did:plc:abc","handle":"alice.test","atid":"did:web:example.com",` +
	`"nsid":"app.bsky.feed.post","rkey":"self","tid":"3jzfcijpj2z2a",` +
	`"aturi":"at://alice.test/app.bsky.feed.post/self","datetime":"1985-04-12T23:20:50.123Z",` +
	`"language":"pt-BR","cid":"bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",` +
	`"uri":"https://example.com/"}`

func TestText_RoundTrip(t *testing.T) {
	var r record
	if err := json.Unmarshal([]byte(validRecord), &r); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != validRecord {
		t.Errorf("round trip:\n got %s\nwant %s", out, validRecord)
	}
	strs := []string{r.DID.String(), r.Handle.String(), r.AtID.String(), r.NSID.String(),
		r.RecordKey.String(), r.TID.String(), r.ATURI.String(), r.Datetime.String(),
		r.Language.String(), r.CID.String(), r.URI.String()}
	for _, s := range strs {
		if !strings.Contains(validRecord, `"`+s+`"`) {
			t.Errorf("String() = %q, not from the input", s)
		}
	}
	if h, _ := r.Handle.AtIdentifier().AsHandle(); h != r.Handle {
		t.Errorf("Handle.AtIdentifier round trip: %q", h)
	}
}

func TestText_RejectsInvalid(t *testing.T) {
	fields := map[string]string{
		"did": "DID:x", "handle": "x", "atid": "x", "nsid": "x", "rkey": "..",
		"tid": "x", "aturi": "x", "datetime": "x", "language": "x", "cid": "x", "uri": "x",
	}
	for field, bad := range fields {
		t.Run(field, func(t *testing.T) {
			var r record
			err := json.Unmarshal([]byte(`{"`+field+`":"`+bad+`"}`), &r)
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Errorf("err = %v, want kind invalid", err)
			}
		})
	}
}
