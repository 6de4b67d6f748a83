package main

import (
	"context"
	"errors"
	"flag"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/store/sqlite"
)

const plcUsage = "usage: rhizome plc serve [--data DIR] [--listen HOST:PORT] [--mirror URL [--mirror-interval DURATION]]"

// mirrorStateFile is the mirror's cursor and reports, in the data folder.
const mirrorStateFile = "mirror.json"

// runPLC dispatches "rhizome plc SUBCOMMAND".
func runPLC(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "serve" {
		return usageErr(plcUsage)
	}
	return runPLCServe(ctx, args[1:])
}

type plcFlags struct {
	data, listen, logFormat, mirror string
	interval                        time.Duration
}

func parsePLCFlags(args []string) (plcFlags, error) {
	var f plcFlags
	interval, err := time.ParseDuration(envOr("RHIZOME_PLC_MIRROR_INTERVAL", "10s"))
	if err != nil {
		return f, usageErr("RHIZOME_PLC_MIRROR_INTERVAL: " + err.Error())
	}
	set := flag.NewFlagSet("plc serve", flag.ContinueOnError)
	set.StringVar(&f.data, "data", envOr("RHIZOME_PLC_DATA", "./rhizome-plc"), "folder for the directory's operation log ($RHIZOME_PLC_DATA)")
	set.StringVar(&f.listen, "listen", envOr("RHIZOME_PLC_LISTEN", "127.0.0.1:2582"), "address to listen on ($RHIZOME_PLC_LISTEN)")
	set.StringVar(&f.logFormat, "log-format", "text", `"text" or "json"`)
	set.StringVar(&f.mirror, "mirror", envOr("RHIZOME_PLC_MIRROR", ""),
		"follow the directory at URL: verify every operation of its export, serve them read-only and report the ones the rules reject ($RHIZOME_PLC_MIRROR)")
	set.DurationVar(&f.interval, "mirror-interval", interval,
		"with --mirror: time between polls once caught up ($RHIZOME_PLC_MIRROR_INTERVAL)")
	if err := set.Parse(args); err != nil {
		return f, usageErr(err.Error())
	}
	if set.NArg() > 0 {
		return f, usageErr(plcUsage)
	}
	if f.interval <= 0 {
		return f, usageErr("--mirror-interval must be positive")
	}
	return f, nil
}

// runPLCServe serves a did:plc directory from its own data folder, or,
// with --mirror, a verifying read-only mirror of another directory.
func runPLCServe(ctx context.Context, args []string) error {
	f, err := parsePLCFlags(args)
	if err != nil {
		return err
	}
	log := newLogger(f.logFormat)
	unlock, err := lockData(f.data)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := sqlite.Open(filepath.Join(f.data, "plc.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }() // stop the mirror's poller before closing the store
	handler, err := plcHandler(ctx, f, st, log, &wg)
	if err != nil {
		return err
	}
	return servePLC(ctx, f.listen, handler, log)
}

// plcHandler is the directory's API, or the mirror's with its poller
// started in wg.
func plcHandler(ctx context.Context, f plcFlags, st store.PLC, log *slog.Logger, wg *sync.WaitGroup) (http.Handler, error) {
	statePath := filepath.Join(f.data, mirrorStateFile)
	if f.mirror == "" {
		if _, err := os.Stat(statePath); !errors.Is(err, fs.ErrNotExist) {
			return nil, rhizome.Errorf("serve plc directory", rhizome.Conflict,
				"%s holds a mirror (%s); serve it with --mirror, or use another data folder", f.data, statePath)
		}
		log.Info("PLC directory: accepting operations", "data", f.data)
		return plc.NewDirectory(st, time.Now).Handler(), nil
	}
	m, err := plc.NewMirror(ctx, plc.MirrorConfig{
		Upstream: f.mirror, Store: st, State: plc.NewMirrorStateFile(statePath),
		Logger: log, Interval: f.interval,
	})
	if err != nil {
		return nil, err
	}
	s := m.Status()
	log.Info("PLC mirror: following the upstream directory's export, verifying every operation, serving read-only; "+
		"operations the rules reject are logged and listed at /_mirror/rejected, progress at /_mirror/status",
		"upstream", m.Upstream(), "interval", f.interval, "data", f.data, "resume_cursor", s.Cursor)
	wg.Go(func() { m.Run(ctx) })
	return m.Handler(), nil
}

func servePLC(ctx context.Context, listen string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return rhizome.E("listen", rhizome.Unavailable, err)
	}
	log.Info("PLC directory listening", "addr", "http://"+ln.Addr().String())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
