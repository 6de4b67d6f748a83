package loadtest

import (
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// Phase names accepted in Config.Phases, in the order they run.
const (
	PhaseCreate  = "create"
	PhaseGet     = "get"
	PhaseList    = "list"
	PhaseApply   = "apply"
	PhaseGetRepo = "getrepo"
	PhaseFanout  = "fanout" // firehose: many subscribers while commits land at a fixed rate
	PhaseDrain   = "drain"  // firehose: one subscriber during a bulk import, then a replay
)

// AllPhases lists the request/response phases in running order: what runs
// when no phases are named.
var AllPhases = []string{PhaseCreate, PhaseGet, PhaseList, PhaseApply, PhaseGetRepo}

// FirehosePhases lists the com.atproto.sync.subscribeRepos phases, which
// run only when named, after AllPhases, in this order.
var FirehosePhases = []string{PhaseFanout, PhaseDrain}

// knownPhases is every phase name, in running order.
var knownPhases = slices.Concat(AllPhases, FirehosePhases)

// Config says what to load and how hard. Start from Defaults: the zero
// value of a count means zero, not "the default".
type Config struct {
	URL          string   // base URL of the server, e.g. http://127.0.0.1:2583
	Concurrency  int      // concurrent clients
	Ops          int      // timed calls per phase
	Warmup       int      // untimed calls before each phase
	Phases       []string // some of AllPhases and FirehosePhases, run in that order; empty for AllPhases
	RepoRecords  int      // records in the repository timed with getRepo; 0 skips getrepo
	GetRepoRuns  int      // how many times getRepo is timed
	SingleRepo   bool     // all clients write to one account
	PID          int      // server process on this machine, for CPU and memory figures; 0 for none
	HandleDomain string   // suffix of bench handles (".test"); empty reads describeServer

	AdminPassword string // for servers requiring invites: mint codes as admin
	InviteCode    string // or use this code for every account

	Subscribers     int           // fanout: normal firehose subscribers
	SlowSubscribers int           // fanout: subscribers reading one frame per 100 ms
	CommitRate      float64       // fanout: target createRecord calls per second
	FanoutDuration  time.Duration // fanout: how long commits are written
	DrainRecords    int           // drain: records imported with applyWrites batches

	NoVerify bool      // skip verifying the getRepo CAR
	Progress io.Writer // phase summaries go here; nil for none
	Live     bool      // also redraw a running counter on Progress (a terminal)
}

// Defaults returns the settings of `rhizome bench` without flags.
func Defaults() Config {
	return Config{URL: "http://127.0.0.1:2583", Concurrency: 8, Ops: 2000, Warmup: 50,
		Phases: AllPhases, RepoRecords: 10000, GetRepoRuns: 3,
		Subscribers: 1000, SlowSubscribers: 1, CommitRate: 500, FanoutDuration: 20 * time.Second, DrainRecords: 10000}
}

// normalize trims the URL, fills an empty phase list and checks the rest.
func (c Config) normalize() (Config, error) {
	c.URL = strings.TrimRight(c.URL, "/")
	if len(c.Phases) == 0 {
		c.Phases = AllPhases
	}
	if c.HandleDomain != "" && !strings.HasPrefix(c.HandleDomain, ".") {
		c.HandleDomain = "." + c.HandleDomain
	}
	return c, c.Validate()
}

// Validate checks the settings: an http(s) URL, positive counts, known
// phases, create before get, and the settings of the firehose phases named.
func (c Config) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return rhizome.Errorf("check config", rhizome.Invalid, "URL %q is not an http(s) URL", c.URL)
	}
	if c.Concurrency < 1 || c.Ops < 1 || c.GetRepoRuns < 1 {
		return rhizome.E("check config", rhizome.Invalid, "concurrency, ops and getrepo runs must be positive")
	}
	if c.Warmup < 0 || c.RepoRecords < 0 || c.PID < 0 {
		return rhizome.E("check config", rhizome.Invalid, "warmup, repo records and pid must not be negative")
	}
	for _, p := range c.Phases {
		if !slices.Contains(knownPhases, p) {
			return rhizome.Errorf("check config", rhizome.Invalid, "unknown phase %q (want some of %s)", p, strings.Join(knownPhases, ","))
		}
	}
	if c.has(PhaseGet) && !c.has(PhaseCreate) {
		return rhizome.E("check config", rhizome.Invalid, "the get phase reads the records of the create phase: add create")
	}
	return c.validateFirehose()
}

// validateFirehose checks the settings of the firehose phases that run.
func (c Config) validateFirehose() error {
	if c.Subscribers < 0 || c.SlowSubscribers < 0 || c.CommitRate < 0 || c.FanoutDuration < 0 || c.DrainRecords < 0 {
		return rhizome.E("check config", rhizome.Invalid, "subscribers, slow subscribers, commit rate, fanout duration and drain records must not be negative")
	}
	if c.has(PhaseFanout) && (c.Subscribers < 1 || c.CommitRate <= 0 || c.FanoutDuration <= 0) {
		return rhizome.E("check config", rhizome.Invalid, "the fanout phase needs subscribers, a commit rate and a duration")
	}
	if c.has(PhaseFanout) && c.CommitRate*c.FanoutDuration.Seconds() < 1 {
		return rhizome.E("check config", rhizome.Invalid, "the fanout phase would write no commit: raise the commit rate or the duration")
	}
	if c.has(PhaseDrain) && c.DrainRecords < 1 {
		return rhizome.E("check config", rhizome.Invalid, "the drain phase needs records to import")
	}
	return nil
}

func (c Config) has(phase string) bool { return slices.Contains(c.Phases, phase) }

// ParsePhases splits a comma-separated phase list ("create,get") and checks
// every name.
func ParsePhases(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if !slices.Contains(knownPhases, p) {
			return nil, rhizome.Errorf("parse phases", rhizome.Invalid, "unknown phase %q (want some of %s)", p, strings.Join(knownPhases, ","))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, rhizome.E("parse phases", rhizome.Invalid, "no phases")
	}
	return out, nil
}
