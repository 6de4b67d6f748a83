package loadtest

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
)

// bulkBatch is the writes per applyWrites call when building the big
// repository: the limit of the reference PDS (and of rhizome).
const bulkBatch = 200

// BulkWrite is how fast the big repository was built.
type BulkWrite struct {
	Records          int      `json:"records"`
	BatchSize        int      `json:"batch_size"`
	Seconds          float64  `json:"seconds"`
	RecordsPerSec    float64  `json:"records_per_s"`
	ServerCPUSeconds *float64 `json:"server_cpu_s,omitempty"` // nil when not measured
}

// GetRepo is what sync.getRepo of the big repository returned.
type GetRepo struct {
	Records         int       `json:"records"`
	CARBytes        int       `json:"car_bytes"`
	RunsMS          []float64 `json:"runs_ms"`
	MedianMS        float64   `json:"median_ms"`
	MinMS           float64   `json:"min_ms"`
	VerifiedRecords int       `json:"verified_records,omitempty"` // records in the verified CAR
	ClientVerifyMS  float64   `json:"client_verify_ms,omitempty"`
}

// getRepoPhase builds a repository of RepoRecords records with sequential
// applyWrites batches, then times sync.getRepo of it and verifies the CAR.
func (r *runner) getRepoPhase(ctx context.Context, rep *Report) (Phase, error) {
	r.logf("building a %d-record repository with applyWrites", r.cfg.RepoRecords)
	big, err := r.createAccount(ctx)
	if err != nil {
		return Phase{}, err
	}
	rep.BulkApplyWrites, err = r.buildBigRepo(ctx, big)
	if err != nil {
		return Phase{}, err
	}
	ph, gr, err := r.timeGetRepo(ctx, big)
	rep.GetRepo, rep.car = gr, r.lastCAR
	if err != nil || r.cfg.NoVerify {
		return ph, err
	}
	return ph, r.verifyCAR(ctx, big, gr, r.lastCAR)
}

// buildBigRepo writes RepoRecords items in batches; writes to one
// repository are serialised by the server anyway.
func (r *runner) buildBigRepo(ctx context.Context, big account) (*BulkWrite, error) {
	cpu0 := r.serverCPU()
	start := time.Now()
	for n, b := 0, 0; n < r.cfg.RepoRecords; b++ {
		size := min(bulkBatch, r.cfg.RepoRecords-n)
		writes := make([]any, size)
		for k := range writes {
			writes[k] = map[string]any{"$type": "com.atproto.repo.applyWrites#create", "collection": itemCollection, "value": item(n + k)}
		}
		_, err := r.c.do(ctx, request{method: http.MethodPost, nsid: "com.atproto.repo.applyWrites", token: big.Token,
			body: map[string]any{"repo": big.DID, "writes": writes}})
		if err != nil {
			return nil, rhizome.E("build big repo", rhizome.Other, err)
		}
		if n += size; (b+1)%10 == 0 {
			r.logf("  %d/%d", n, r.cfg.RepoRecords)
		}
	}
	secs := time.Since(start).Seconds()
	bw := &BulkWrite{Records: r.cfg.RepoRecords, BatchSize: bulkBatch, Seconds: round(secs, 2),
		RecordsPerSec: round(float64(r.cfg.RepoRecords)/secs, 1)}
	if cpu0 >= 0 {
		cpu := round(r.serverCPU()-cpu0, 2)
		bw.ServerCPUSeconds = &cpu
	}
	r.logf("bulkApplyWrites: %d records in %.2fs: %.1f records/s", bw.Records, bw.Seconds, bw.RecordsPerSec)
	return bw, nil
}

// timeGetRepo fetches the big repository GetRepoRuns times, one after the
// other, and keeps the last CAR.
func (r *runner) timeGetRepo(ctx context.Context, big account) (Phase, *GetRepo, error) {
	ph := Phase{Name: "getRepo", Ops: r.cfg.GetRepoRuns, ServerCPUSeconds: -1}
	gr := &GetRepo{Records: r.cfg.RepoRecords}
	var lat []time.Duration
	cpu0 := r.serverCPU()
	start := time.Now()
	var car []byte
	for range r.cfg.GetRepoRuns {
		s := time.Now()
		body, err := r.c.do(ctx, request{method: http.MethodGet, nsid: "com.atproto.sync.getRepo",
			params: url.Values{"did": {string(big.DID)}}, timeout: getRepoTimeout})
		if err != nil {
			ph.Errors++
			ph.FirstError = clip(err.Error(), 500)
			ph.summarize(lat, time.Since(start))
			return ph, gr, rhizome.E("run getRepo", rhizome.Other, err)
		}
		lat = append(lat, time.Since(s))
		gr.RunsMS = append(gr.RunsMS, round(msFloat(lat[len(lat)-1]), 1))
		car = body
	}
	ph.summarize(lat, time.Since(start))
	if cpu0 >= 0 {
		ph.ServerCPUSeconds = r.serverCPU() - cpu0
	}
	gr.CARBytes, gr.MedianMS, gr.MinMS = len(car), round(msFloat(lat[len(lat)/2]), 1), round(msFloat(lat[0]), 1)
	r.lastCAR = car
	r.logf("getRepo: %d bytes, runs %v ms", gr.CARBytes, gr.RunsMS)
	return ph, gr, nil
}

func msFloat(d time.Duration) float64 { return float64(d) / 1e6 }

// verifyCAR reads the CAR into memory, checking every block's hash, the
// commit signature against the account's #atproto key, the MST and the
// record count.
func (r *runner) verifyCAR(ctx context.Context, big account, gr *GetRepo, car []byte) error {
	key, err := r.signingKey(ctx, big)
	if err != nil {
		return err
	}
	start := time.Now()
	_, st, err := repo.ReadCAR(ctx, bytes.NewReader(car), mem.NewBlocks(), repo.ImportOptions{DID: big.DID, Key: key})
	if err != nil {
		return rhizome.E("verify getRepo CAR", rhizome.KindOf(err), err)
	}
	gr.VerifiedRecords, gr.ClientVerifyMS = st.Records, round(msFloat(time.Since(start)), 0)
	if st.Records != gr.Records {
		return rhizome.Errorf("verify getRepo CAR", rhizome.Corrupt, "CAR has %d records, want %d", st.Records, gr.Records)
	}
	r.logf("getRepo CAR verified: %d records, signature checked, in %.0fms", st.Records, gr.ClientVerifyMS)
	return nil
}

// signingKey reads the account's #atproto key from its DID document, as
// describeRepo returns it.
func (r *runner) signingKey(ctx context.Context, a account) (keys.PublicKey, error) {
	var d struct {
		DidDoc struct {
			VerificationMethod []verificationMethod `json:"verificationMethod"`
		} `json:"didDoc"`
	}
	err := r.c.json(ctx, request{method: http.MethodGet, nsid: "com.atproto.repo.describeRepo",
		params: url.Values{"repo": {string(a.DID)}}}, &d)
	if err != nil {
		return nil, rhizome.E("read signing key", rhizome.Other, err)
	}
	i := slices.IndexFunc(d.DidDoc.VerificationMethod, func(m verificationMethod) bool {
		return strings.HasSuffix(m.ID, "#atproto")
	})
	if i < 0 {
		return nil, rhizome.Errorf("read signing key", rhizome.NotFound, "the DID document of %s has no #atproto key", a.DID)
	}
	m := d.DidDoc.VerificationMethod[i]
	return keys.ParseVerificationMethod(m.Type, m.PublicKeyMultibase)
}

type verificationMethod struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
}
