package firehose

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	comatproto "github.com/bluesky-social/indigo/api/atproto"
	"github.com/bluesky-social/indigo/atproto/atdata"
	"github.com/bluesky-social/indigo/atproto/identity"
	irepo "github.com/bluesky-social/indigo/atproto/repo"
	imst "github.com/bluesky-social/indigo/atproto/repo/mst"
	"github.com/bluesky-social/indigo/atproto/syntax"
	lexutil "github.com/bluesky-social/indigo/lex/util"
	"github.com/ipfs/go-cid"
)

// podDirectory is an indigo identity.Directory that reads DID documents
// from the pod's embedded PLC directory over loopback, caching them (the
// tests never rotate keys).
type podDirectory struct {
	base string
	hc   *http.Client

	mu    sync.Mutex
	cache map[syntax.DID]*identity.Identity
}

func newDirectory(p *pod) *podDirectory {
	return &podDirectory{base: "http://" + p.Addr, hc: &http.Client{Timeout: 10 * time.Second},
		cache: map[syntax.DID]*identity.Identity{}}
}

// LookupDID implements identity.Directory.
func (d *podDirectory) LookupDID(ctx context.Context, did syntax.DID) (*identity.Identity, error) {
	d.mu.Lock()
	id := d.cache[did]
	d.mu.Unlock()
	if id != nil {
		return id, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.base+"/plc/"+did.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build DID request: %w", err)
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", did, err)
	}
	defer resp.Body.Close()
	var doc identity.DIDDocument
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("resolve %s: %s", did, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode DID document of %s: %w", did, err)
	}
	if doc.DID != did {
		return nil, fmt.Errorf("DID document of %s names %s", did, doc.DID)
	}
	ident := identity.ParseIdentity(&doc)
	d.mu.Lock()
	d.cache[did] = &ident
	d.mu.Unlock()
	return &ident, nil
}

// LookupHandle implements identity.Directory; the tests resolve DIDs only.
func (d *podDirectory) LookupHandle(ctx context.Context, h syntax.Handle) (*identity.Identity, error) {
	return nil, fmt.Errorf("look up handle %s: not supported by the test directory", h)
}

// Lookup implements identity.Directory.
func (d *podDirectory) Lookup(ctx context.Context, id syntax.AtIdentifier) (*identity.Identity, error) {
	did, err := id.AsDID()
	if err != nil {
		return nil, fmt.Errorf("look up %s: not a DID", id)
	}
	return d.LookupDID(ctx, did)
}

// Purge implements identity.Directory.
func (d *podDirectory) Purge(ctx context.Context, id syntax.AtIdentifier) error {
	if did, err := id.AsDID(); err == nil {
		d.mu.Lock()
		delete(d.cache, did)
		d.mu.Unlock()
	}
	return nil
}

// chain is what a checker knows of one repository from the stream.
type chain struct {
	rev, data string
	records   map[string]string // path to CID; nil when unknown
}

// checker follows a stream and checks each event: sequence numbers go up
// by one; bodies are canonical DRISL; every #commit verifies with indigo (Sync 1.1 inversion against
// prevData, signature against the DID document's key) and chains onto the
// previous event of its repository; the record set each repository must
// hold is rebuilt from the ops.
type checker struct {
	dir       *podDirectory
	fromStart bool // the stream started at the first event
	last      int64
	repos     map[string]*chain
	acked     map[string]string // commit CID → rev, for every #commit seen
	stats     checkStats
}

// checkStats counts what a checker has seen.
type checkStats struct {
	commits, creates, updates, deletes int
	maxOps                             int // the most ops in one commit
	highDeletes                        int // deletes of keys above the MST's bottom layer
	maxHeight                          int // the highest MST layer of a key created
}

func (s checkStats) ops() int { return s.creates + s.updates + s.deletes }

func newChecker(dir *podDirectory, after int64) *checker {
	return &checker{dir: dir, fromStart: after == 0, last: after, repos: map[string]*chain{}, acked: map[string]string{}}
}

// check checks the next event of the stream.
func (c *checker) check(ctx context.Context, e *event) error {
	if e.op != 1 || e.seq == 0 {
		return fmt.Errorf("unexpected frame %s after seq %d", e, c.last)
	}
	if e.seq != c.last+1 {
		return fmt.Errorf("seq %d %s follows seq %d", e.seq, e.typ, c.last)
	}
	c.last = e.seq
	err := checkCanonical(e)
	switch {
	case err != nil:
	case e.commit != nil:
		err = c.checkCommit(ctx, e.commit)
	case e.sync != nil:
		err = c.checkSync(ctx, e.sync)
	case e.identity != nil:
		err = checkDIDAndTime(e.identity.Did, e.identity.Time)
	case e.account != nil:
		err = checkDIDAndTime(e.account.Did, e.account.Time)
	}
	if err != nil {
		return fmt.Errorf("seq %d %s: %w", e.seq, e.typ, err)
	}
	return nil
}

// checkCanonical requires the body to be canonical DRISL: indigo's
// generic decoder accepts it and its encoder writes the same bytes back.
func checkCanonical(e *event) error {
	m, err := bodyMap(e)
	if err != nil {
		return err
	}
	b, err := atdata.MarshalCBOR(m)
	if err != nil {
		return fmt.Errorf("re-encode body: %w", err)
	}
	if !bytes.Equal(b, e.body) {
		return fmt.Errorf("the body is not canonical DRISL: %d bytes re-encode to %d different ones", len(e.body), len(b))
	}
	return nil
}

// checkDIDAndTime checks the did and time fields of #identity and #account.
func checkDIDAndTime(did, t string) error {
	if _, err := syntax.ParseDID(did); err != nil {
		return err
	}
	_, err := syntax.ParseDatetime(t)
	return err
}

func (c *checker) checkCommit(ctx context.Context, m *comatproto.SyncSubscribeRepos_Commit) error {
	if _, err := irepo.VerifyCommitMessage(ctx, m); err != nil {
		return fmt.Errorf("indigo rejects the commit of %s rev %s: %w", m.Repo, m.Rev, err)
	}
	if err := irepo.VerifyCommitSignature(ctx, c.dir, m); err != nil {
		return fmt.Errorf("signature of %s rev %s: %w", m.Repo, m.Rev, err)
	}
	commit, root, err := irepo.LoadCommitFromCAR(ctx, bytes.NewReader(m.Blocks))
	if err != nil {
		return fmt.Errorf("read commit block: %w", err)
	}
	if *root != cid.Cid(m.Commit) || commit.Rev != m.Rev || commit.DID != m.Repo {
		return fmt.Errorf("event says commit %s rev %s of %s; the CAR holds %s rev %s of %s",
			m.Commit, m.Rev, m.Repo, root, commit.Rev, commit.DID)
	}
	if m.TooBig || m.Rebase {
		return fmt.Errorf("tooBig %v rebase %v", m.TooBig, m.Rebase)
	}
	ch, err := c.follow(m)
	if err != nil {
		return err
	}
	if err := c.applyOps(ch, m.Ops); err != nil {
		return err
	}
	ch.rev, ch.data = m.Rev, commit.Data.String()
	c.acked[m.Commit.String()] = m.Rev
	c.stats.commits++
	c.stats.maxOps = max(c.stats.maxOps, len(m.Ops))
	return nil
}

// follow checks that a commit chains onto what came before for its
// repository and returns the repository's chain.
func (c *checker) follow(m *comatproto.SyncSubscribeRepos_Commit) (*chain, error) {
	ch := c.repos[m.Repo]
	if ch == nil {
		ch = &chain{}
		c.repos[m.Repo] = ch
		if !c.fromStart {
			return ch, nil // joined mid-history: nothing to chain onto yet
		}
		if m.Since != nil || m.PrevData != nil || len(m.Ops) > 0 {
			return nil, fmt.Errorf("the first commit of %s is not a genesis commit: since %v, prevData %v, %d ops",
				m.Repo, str(m.Since), m.PrevData, len(m.Ops))
		}
		ch.records = map[string]string{}
		return ch, nil
	}
	if m.Since == nil || *m.Since != ch.rev {
		return nil, fmt.Errorf("since %s, but the previous commit of %s was rev %s", str(m.Since), m.Repo, ch.rev)
	}
	if m.Rev <= ch.rev {
		return nil, fmt.Errorf("rev %s of %s does not follow rev %s", m.Rev, m.Repo, ch.rev)
	}
	if m.PrevData == nil || m.PrevData.String() != ch.data {
		return nil, fmt.Errorf("prevData %v of %s, but the previous commit's data is %s", m.PrevData, m.Repo, ch.data)
	}
	return ch, nil
}

// applyOps checks each op against the record set and applies it.
func (c *checker) applyOps(ch *chain, ops []*comatproto.SyncSubscribeRepos_RepoOp) error {
	for _, op := range ops {
		h := imst.HeightForKey([]byte(op.Path))
		if ch.records != nil {
			if err := checkOp(ch.records, op); err != nil {
				return err
			}
		}
		switch op.Action {
		case "create":
			c.stats.creates++
			c.stats.maxHeight = max(c.stats.maxHeight, h)
			ch.set(op.Path, op.Cid.String())
		case "update":
			c.stats.updates++
			ch.set(op.Path, op.Cid.String())
		case "delete":
			c.stats.deletes++
			if h > 0 {
				c.stats.highDeletes++
			}
			ch.set(op.Path, "")
		}
	}
	return nil
}

func (ch *chain) set(path, c string) {
	switch {
	case ch.records == nil:
	case c == "":
		delete(ch.records, path)
	default:
		ch.records[path] = c
	}
}

// checkOp checks an op's action, cid and prev against the records before it.
func checkOp(records map[string]string, op *comatproto.SyncSubscribeRepos_RepoOp) error {
	cur, exists := records[op.Path]
	var ok bool
	switch op.Action {
	case "create":
		ok = !exists && op.Cid != nil && op.Prev == nil
	case "update":
		ok = exists && op.Cid != nil && link(op.Prev) == cur && link(op.Cid) != cur
	case "delete":
		ok = exists && op.Cid == nil && link(op.Prev) == cur
	}
	if !ok {
		return fmt.Errorf("op %s %s (cid %s, prev %s) does not fit the record's state (exists %v, cid %s)",
			op.Action, op.Path, link(op.Cid), link(op.Prev), exists, cur)
	}
	return nil
}

func (c *checker) checkSync(ctx context.Context, s *comatproto.SyncSubscribeRepos_Sync) error {
	commit, err := irepo.VerifySyncMessage(ctx, c.dir, s)
	if err != nil {
		return fmt.Errorf("indigo rejects the #sync of %s: %w", s.Did, err)
	}
	if commit.Rev != s.Rev || commit.DID != s.Did {
		return fmt.Errorf("#sync says rev %s of %s; its commit is rev %s of %s", s.Rev, s.Did, commit.Rev, commit.DID)
	}
	ch := c.repos[s.Did]
	if ch == nil {
		ch = &chain{}
		c.repos[s.Did] = ch
	}
	if ch.rev != "" && s.Rev <= ch.rev {
		return fmt.Errorf("#sync rev %s of %s does not follow rev %s", s.Rev, s.Did, ch.rev)
	}
	ch.rev, ch.data, ch.records = s.Rev, commit.Data.String(), nil
	return nil
}

func link(l *lexutil.LexLink) string {
	if l == nil {
		return ""
	}
	return l.String()
}

func str(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}
