package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"

	"github.com/rhizome-pds/rhizome/loadtest"
)

// runBench load-tests any PDS: rhizome bench [--url URL] [--concurrency N] ...
func runBench(ctx context.Context, args []string) error {
	cfg, asJSON, err := benchFlags(args)
	if err != nil {
		return err
	}
	rep, err := loadtest.Run(ctx, cfg)
	if rep != nil {
		if werr := writeBenchReport(rep, asJSON); err == nil {
			err = werr
		}
	}
	return err
}

func benchFlags(args []string) (loadtest.Config, bool, error) {
	d := loadtest.Defaults()
	cfg := d
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&cfg.URL, "url", d.URL, "base URL of the PDS to load")
	fs.IntVar(&cfg.Concurrency, "concurrency", d.Concurrency, "concurrent clients, each with its own account")
	fs.IntVar(&cfg.Ops, "ops", d.Ops, "timed calls per phase")
	fs.IntVar(&cfg.Warmup, "warmup", d.Warmup, "untimed calls before each phase")
	phases := fs.String("phases", "create,get,list,apply,getrepo", "phases to run, comma-separated; the firehose phases fanout and drain run only when named")
	fs.IntVar(&cfg.RepoRecords, "repo-records", d.RepoRecords, "records in the repository timed with sync.getRepo (0 skips it)")
	fs.IntVar(&cfg.GetRepoRuns, "getrepo-runs", d.GetRepoRuns, "how many times sync.getRepo is timed")
	fs.BoolVar(&cfg.SingleRepo, "single-repo", false, "all clients write to one repository")
	fs.IntVar(&cfg.PID, "pid", 0, "PID of the server on this machine: adds its CPU seconds and memory")
	fs.StringVar(&cfg.HandleDomain, "handle-domain", "", "handle suffix of bench accounts (default: the server's first available domain)")
	fs.StringVar(&cfg.AdminPassword, "admin-password", "", "admin password, to mint invite codes when the server requires them")
	fs.StringVar(&cfg.InviteCode, "invite-code", "", "invite code for every bench account")
	fs.IntVar(&cfg.Subscribers, "subscribers", d.Subscribers, "fanout: firehose subscribers")
	fs.IntVar(&cfg.SlowSubscribers, "slow-subscribers", d.SlowSubscribers, "fanout: extra subscribers reading one frame per 100ms")
	fs.Float64Var(&cfg.CommitRate, "commit-rate", d.CommitRate, "fanout: createRecord calls per second, on a schedule")
	fs.DurationVar(&cfg.FanoutDuration, "fanout-duration", d.FanoutDuration, "fanout: how long commits are written")
	fs.IntVar(&cfg.DrainRecords, "drain-records", d.DrainRecords, "drain: records imported with applyWrites while a subscriber follows")
	fs.BoolVar(&cfg.NoVerify, "no-verify", false, "do not verify the sync.getRepo CAR")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	if err := fs.Parse(args); err != nil {
		return cfg, false, usageErr(err.Error())
	}
	if fs.NArg() != 0 {
		return cfg, false, usageErr("bench takes no arguments, only flags (bench --help)")
	}
	var err error
	if cfg.Phases, err = loadtest.ParsePhases(*phases); err != nil {
		return cfg, false, usageErr(err.Error())
	}
	if err := cfg.Validate(); err != nil {
		return cfg, false, usageErr(err.Error())
	}
	cfg.Progress, cfg.Live = os.Stderr, isTerminal(os.Stderr)
	return cfg, *asJSON, nil
}

func writeBenchReport(rep *loadtest.Report, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(os.Stdout).Encode(rep)
	}
	return rep.WriteTable(os.Stdout)
}

// isTerminal reports whether f is a character device such as a terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
