package loadtest

import (
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
)

// Phase names accepted in Config.Phases, in the order they run.
const (
	PhaseCreate  = "create"
	PhaseGet     = "get"
	PhaseList    = "list"
	PhaseApply   = "apply"
	PhaseGetRepo = "getrepo"
)

// AllPhases lists every phase in running order.
var AllPhases = []string{PhaseCreate, PhaseGet, PhaseList, PhaseApply, PhaseGetRepo}

// Config says what to load and how hard. Start from Defaults: the zero
// value of a count means zero, not "the default".
type Config struct {
	URL          string   // base URL of the server, e.g. http://127.0.0.1:2583
	Concurrency  int      // concurrent clients
	Ops          int      // timed calls per phase
	Warmup       int      // untimed calls before each phase
	Phases       []string // subset of AllPhases, run in AllPhases order; empty for all
	RepoRecords  int      // records in the repository timed with getRepo; 0 skips getrepo
	GetRepoRuns  int      // how many times getRepo is timed
	SingleRepo   bool     // all clients write to one account
	PID          int      // server process on this machine, for CPU and memory figures; 0 for none
	HandleDomain string   // suffix of bench handles (".test"); empty reads describeServer

	AdminPassword string // for servers requiring invites: mint codes as admin
	InviteCode    string // or use this code for every account

	NoVerify bool      // skip verifying the getRepo CAR
	Progress io.Writer // phase summaries go here; nil for none
	Live     bool      // also redraw a running counter on Progress (a terminal)
}

// Defaults returns the settings of `rhizome bench` without flags.
func Defaults() Config {
	return Config{URL: "http://127.0.0.1:2583", Concurrency: 8, Ops: 2000, Warmup: 50,
		Phases: AllPhases, RepoRecords: 10000, GetRepoRuns: 3}
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
// phases, and create before get.
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
		if !slices.Contains(AllPhases, p) {
			return rhizome.Errorf("check config", rhizome.Invalid, "unknown phase %q (want some of %s)", p, strings.Join(AllPhases, ","))
		}
	}
	if c.has(PhaseGet) && !c.has(PhaseCreate) {
		return rhizome.E("check config", rhizome.Invalid, "the get phase reads the records of the create phase: add create")
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
		if !slices.Contains(AllPhases, p) {
			return nil, rhizome.Errorf("parse phases", rhizome.Invalid, "unknown phase %q (want some of %s)", p, strings.Join(AllPhases, ","))
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
