package main

import (
	"context"
	"flag"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/store/sqlite"
)

// runPLC dispatches "rhizome plc SUBCOMMAND".
func runPLC(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "serve" {
		return usageErr("usage: rhizome plc serve [--data DIR] [--listen HOST:PORT]")
	}
	return runPLCServe(ctx, args[1:])
}

// runPLCServe serves a did:plc directory from its own data folder.
func runPLCServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("plc serve", flag.ContinueOnError)
	data := fs.String("data", envOr("RHIZOME_PLC_DATA", "./rhizome-plc"), "folder for the directory's operation log ($RHIZOME_PLC_DATA)")
	listen := fs.String("listen", envOr("RHIZOME_PLC_LISTEN", "127.0.0.1:2582"), "address to listen on ($RHIZOME_PLC_LISTEN)")
	logFormat := fs.String("log-format", "text", `"text" or "json"`)
	if err := fs.Parse(args); err != nil {
		return usageErr(err.Error())
	}
	log := newLogger(*logFormat)
	unlock, err := lockData(*data)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := sqlite.Open(filepath.Join(*data, "plc.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	dir := plc.NewDirectory(st, time.Now)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return rhizome.E("listen", rhizome.Unavailable, err)
	}
	log.Info("PLC directory listening", "addr", "http://"+ln.Addr().String(), "data", *data)
	srv := &http.Server{Handler: dir.Handler(), ReadHeaderTimeout: 10 * time.Second}
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
