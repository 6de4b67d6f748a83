package badinput

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the "sqlite" driver, for reading a copy of the pod's database
)

// apiState is what the API answers about the pod's content, by request.
type apiState map[string][]byte

// snapshotAPI reads every account's repository, record lists, head,
// status, blobs and DID document, and the list of repositories.
func snapshotAPI(t testing.TB, c *client, accts ...account) apiState {
	t.Helper()
	s := apiState{"listRepos": c.query(t, "com.atproto.sync.listRepos", nil)}
	for _, a := range accts {
		snapshotAccount(t, c, a.DID, s)
	}
	return s
}

func snapshotAccount(t testing.TB, c *client, did string, s apiState) {
	t.Helper()
	q := url.Values{"did": {did}}
	for _, nsid := range []string{"sync.getRepo", "sync.getLatestCommit", "sync.getRepoStatus"} {
		s[nsid+" "+did] = c.query(t, "com.atproto."+nsid, q)
	}
	desc := c.query(t, "com.atproto.repo.describeRepo", url.Values{"repo": {did}})
	s["describeRepo "+did] = desc
	var d struct{ Collections []string }
	if err := json.Unmarshal(desc, &d); err != nil || len(d.Collections) == 0 {
		t.Fatalf("describeRepo %s: %s (%v)", did, desc, err)
	}
	for _, coll := range d.Collections {
		s["listRecords "+did+" "+coll] = c.query(t, "com.atproto.repo.listRecords",
			url.Values{"repo": {did}, "collection": {coll}, "limit": {"100"}})
	}
	blobs := c.query(t, "com.atproto.sync.listBlobs", q)
	s["listBlobs "+did] = blobs
	var bl struct{ CIDs []string }
	json.Unmarshal(blobs, &bl)
	for _, b := range bl.CIDs {
		s["getBlob "+did+" "+b] = c.query(t, "com.atproto.sync.getBlob", url.Values{"did": {did}, "cid": {b}})
	}
	s["plc "+did] = c.must(t, request{Path: "/plc/" + did})
	s["plc log "+did] = c.must(t, request{Path: "/plc/" + did + "/log/audit"})
}

// diffStates reports every request whose answer changed.
func diffStates(t testing.TB, what string, before, after map[string][]byte) {
	t.Helper()
	keys := slices.Sorted(maps.Keys(before))
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		b, ok1 := before[k]
		a, ok2 := after[k]
		switch {
		case !ok1:
			t.Errorf("%s: %s appeared: %s", what, k, clip(a))
		case !ok2:
			t.Errorf("%s: %s disappeared (was %s)", what, k, clip(b))
		case !bytes.Equal(a, b):
			t.Errorf("%s: %s changed:\n  before: %s\n  after:  %s", what, k, clip(b), clip(a))
		}
	}
}

func clip(b []byte) string {
	if len(b) > 300 {
		return fmt.Sprintf("%q... (%d bytes)", b[:300], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// dumpDB reads every row of every table of the pod's database, from a
// copy so the pod's own files are never opened. Rows are rendered as text
// and sorted, so the dump is the logical content, not the page layout.
func dumpDB(t testing.TB, dataDir string) map[string][]string {
	t.Helper()
	tmp := t.TempDir()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		copyFile(t, filepath.Join(dataDir, "rhizome.db"+suffix), filepath.Join(tmp, "rhizome.db"+suffix))
	}
	db, err := sql.Open("sqlite", filepath.Join(tmp, "rhizome.db"))
	if err != nil {
		t.Fatalf("open database copy: %v", err)
	}
	defer db.Close()
	tables := queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if len(tables) < 5 {
		t.Fatalf("database has only tables %v", tables)
	}
	out := map[string][]string{}
	for _, tb := range tables {
		rows := queryRows(t, db, `SELECT * FROM "`+tb+`"`)
		slices.Sort(rows)
		out[tb] = rows
	}
	return out
}

// diffDB reports the rows each table lost or gained.
func diffDB(t testing.TB, before, after map[string][]string) {
	t.Helper()
	for _, tb := range union(slices.Collect(maps.Keys(before)), slices.Collect(maps.Keys(after))) {
		gone, added := rowDiff(before[tb], after[tb])
		if len(gone)+len(added) == 0 {
			continue
		}
		t.Errorf("table %s changed: %d rows gone, %d rows added%s%s", tb, len(gone), len(added), listRows("-", gone), listRows("+", added))
	}
}

func rowDiff(a, b []string) (gone, added []string) {
	inA, inB := map[string]int{}, map[string]int{}
	for _, r := range a {
		inA[r]++
	}
	for _, r := range b {
		inB[r]++
	}
	for _, r := range a {
		if inB[r] > 0 {
			inB[r]--
		} else {
			gone = append(gone, r)
		}
	}
	for _, r := range b {
		if inA[r] > 0 {
			inA[r]--
		} else {
			added = append(added, r)
		}
	}
	return gone, added
}

func listRows(sign string, rows []string) string {
	var sb strings.Builder
	for i, r := range rows {
		if i == 8 {
			fmt.Fprintf(&sb, "\n  %s ... %d more", sign, len(rows)-i)
			break
		}
		if len(r) > 200 {
			r = r[:200] + "..."
		}
		sb.WriteString("\n  " + sign + " " + r)
	}
	return sb.String()
}

func union(a, b []string) []string {
	s := slices.Concat(a, b)
	slices.Sort(s)
	return slices.Compact(s)
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		t.Fatalf("copy %s: %v", from, err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatalf("copy %s: %v", from, err)
	}
}

func queryStrings(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	var out []string
	for _, r := range queryRows(t, db, q) {
		out = append(out, strings.TrimPrefix(r, "t:"))
	}
	return out
}

// queryRows renders each row as its typed values joined by "|".
func queryRows(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, renderRow(vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func renderRow(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
			parts[i] = "NULL"
		case []byte:
			parts[i] = "x:" + hex.EncodeToString(v)
		case string:
			parts[i] = "t:" + v
		default:
			parts[i] = fmt.Sprintf("%T:%v", v, v)
		}
	}
	return strings.Join(parts, "|")
}

// hashFiles fingerprints every file and folder of the data folder except
// the database (compared logically) and the lock file.
func hashFiles(t testing.TB, dataDir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dataDir, path)
		switch {
		case strings.HasPrefix(rel, "rhizome.db") || rel == "LOCK":
			return nil
		case d.IsDir():
			out[rel+"/"] = []byte("dir")
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[rel] = []byte(hex.EncodeToString(sum[:]))
		return nil
	})
	if err != nil {
		t.Fatalf("fingerprint %s: %v", dataDir, err)
	}
	return out
}
