package car

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
)

const firehoseDir = "../../shared/testdata/indigo-firehose"

type firehoseFrame struct {
	name   string
	car    []byte
	commit cid.CID
	ops    []cid.CID // CIDs of records the commit creates or updates
}

// loadFirehose reads the real firehose frames from the shared test data.
func loadFirehose(t testing.TB) []firehoseFrame {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(firehoseDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("fixtures missing: no firehose frames in %s", firehoseDir)
	}
	var frames []firehoseFrame
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Blocks struct {
				Bytes string `json:"$bytes"`
			} `json:"blocks"`
			Commit struct {
				Link cid.CID `json:"$link"`
			} `json:"commit"`
			Ops []struct {
				CID *struct {
					Link cid.CID `json:"$link"`
				} `json:"cid"`
			} `json:"ops"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		car, err := base64.StdEncoding.DecodeString(v.Blocks.Bytes)
		if err != nil {
			car, err = base64.RawStdEncoding.DecodeString(v.Blocks.Bytes)
		}
		if err != nil {
			t.Fatalf("%s: decode blocks: %v", f, err)
		}
		fr := firehoseFrame{name: filepath.Base(f), car: car, commit: v.Commit.Link}
		for _, op := range v.Ops {
			if op.CID != nil {
				fr.ops = append(fr.ops, op.CID.Link)
			}
		}
		frames = append(frames, fr)
	}
	return frames
}

func TestReadAll_Firehose(t *testing.T) {
	for _, fr := range loadFirehose(t) {
		t.Run(fr.name, func(t *testing.T) {
			seen := map[cid.CID]bool{}
			var blocks []block
			roots, err := ReadAll(bytes.NewReader(fr.car), func(c cid.CID, b []byte) error {
				if !c.Matches(b) { // ReadAll verified it; check the promise
					t.Errorf("block %s does not hash to its CID", c)
				}
				seen[c] = true
				blocks = append(blocks, block{c, b})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(roots) != 1 || roots[0] != fr.commit {
				t.Fatalf("roots = %v, want [%s]", roots, fr.commit)
			}
			if !seen[fr.commit] {
				t.Errorf("commit block %s is missing", fr.commit)
			}
			for _, c := range fr.ops {
				if !seen[c] {
					t.Errorf("record block %s of an op is missing", c)
				}
			}
			// The reference writer is canonical, so our Writer must
			// reproduce its bytes exactly.
			if again := writeCAR(t, roots, blocks); !bytes.Equal(again, fr.car) {
				t.Errorf("rewritten CAR differs from the original (%d vs %d bytes)", len(again), len(fr.car))
			}
			t.Logf("%d blocks, %d bytes", len(blocks), len(fr.car))
		})
	}
}
