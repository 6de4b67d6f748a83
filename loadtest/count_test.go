package loadtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestCountRecords(t *testing.T) {
	page := func(n int) string {
		recs := make([]map[string]any, n)
		for i := range recs {
			recs[i] = map[string]any{"uri": fmt.Sprintf("at://did:plc:x/app.bsky.feed.post/%d", i), "cid": "bafy",
				"value": map[string]any{"text": fmt.Sprintf(`a "quoted" [text], with {braces} \ and, commas %d`, i), "langs": []string{"en", "fr"}}}
		}
		b, _ := json.Marshal(map[string]any{"cursor": "3k,]", "records": recs})
		return string(b)
	}
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"a page", page(100), 100},
		{"one", page(1), 1},
		{"empty", `{"records":[]}`, 0},
		{"empty with spaces", `{ "records" : [ ] , "cursor":"x"}`, 0},
		{"records after a nested records key", `{"a":{"records":[1,2,3]},"records":[{"x":[1,2]},{"y":"],"}]}`, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := countRecords([]byte(tc.body))
			if err != nil || got != tc.want {
				t.Fatalf("countRecords = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{
		`{"cursor":"x"}`,
		`{"records":{}}`,
		`{"a":{"records":[1]}}`,
		`{"records":[{"x":1},`,
		`{"records":["unterminated]}`,
		strings.TrimSuffix(page(3), "]}"),
	} {
		if n, err := countRecords([]byte(bad)); err == nil {
			t.Errorf("countRecords(%.60q) = %d, want an error", bad, n)
		}
	}
}

func BenchmarkCountRecords(b *testing.B) {
	recs := make([]map[string]any, 100)
	for i := range recs {
		recs[i] = map[string]any{"uri": fmt.Sprintf("at://did:plc:x/app.bsky.feed.post/%d", i), "value": map[string]any{"text": strings.Repeat("post ", 40)}}
	}
	body, _ := json.Marshal(map[string]any{"records": recs})
	for b.Loop() {
		if n, err := countRecords(body); err != nil || n != 100 {
			b.Fatal(n, err)
		}
	}
}
