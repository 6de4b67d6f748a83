package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/xrpc"
)

// serveConfig is every setting of rhizome serve; each flag has an
// environment twin, and the flag wins.
type serveConfig struct {
	data, listen, publicURL, plcURL, handleDomains, adminPassword string
	inviteRequired                                                bool
	rateLimits                                                    string
	logFormat                                                     string
	eventRetention                                                time.Duration
	crawlers                                                      string
	backup                                                        backupSchedule
	// dbRaw and blobsRaw are --db and --blobs as given; db and blobs are
	// them parsed (storage.go).
	dbRaw, blobsRaw string
	db              dbURL
	blobs           blobsURL
}

func serveFlags(args []string) (*serveConfig, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c := &serveConfig{}
	str := func(p *string, name, env, def, help string) {
		if v := os.Getenv(env); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, help+" ($"+env+")")
	}
	str(&c.data, "data", "RHIZOME_DATA", "./rhizome-data", "folder for everything the pod keeps")
	str(&c.dbRaw, "db", "RHIZOME_DB", "", "record store: "+dbForms+" (default: DATA/rhizome.db); several nodes share one postgres:// database")
	str(&c.blobsRaw, "blobs", "RHIZOME_BLOBS", "", "blob store: "+blobsForms+" (default: DATA/blobs); S3 credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY")
	str(&c.listen, "listen", "RHIZOME_LISTEN", "127.0.0.1:2583", "address to listen on")
	str(&c.publicURL, "public-url", "RHIZOME_PUBLIC_URL", "", "URL clients reach the pod at (default http://LISTEN)")
	str(&c.plcURL, "plc-url", "RHIZOME_PLC_URL", "https://plc.directory", `PLC directory URL, or "embedded" for one in this process`)
	str(&c.handleDomains, "handle-domains", "RHIZOME_HANDLE_DOMAINS", "", "comma-separated handle suffixes the pod gives out, e.g. .example")
	str(&c.adminPassword, "admin-password", "RHIZOME_ADMIN_PASSWORD", "", "password of the admin API (user admin); empty disables it")
	str(&c.rateLimits, "rate-limits", "RHIZOME_RATE_LIMITS", "on", `"on" (defaults), "off", or "IP_PER_SEC[/BURST],WRITES_PER_SEC[/BURST]"; shared by all nodes on postgres`)
	str(&c.logFormat, "log-format", "RHIZOME_LOG_FORMAT", "text", `"text" or "json"`)
	inv := os.Getenv("RHIZOME_INVITE_REQUIRED") == "true"
	fs.BoolVar(&c.inviteRequired, "invite-required", inv, "require an invite code to create an account ($RHIZOME_INVITE_REQUIRED)")
	str(&c.crawlers, "crawlers", "RHIZOME_CRAWLERS", "", "comma-separated relay URLs asked to crawl the pod (requestCrawl) at start-up and after idle spells")
	var retention, backupEvery string
	str(&backupEvery, "backup-every", "RHIZOME_BACKUP_EVERY", "", "take an encrypted, incremental backup of every account this often, e.g. 6h (needs --backup-to and --backup-passphrase-file)")
	str(&c.backup.to, "backup-to", "RHIZOME_BACKUP_TO", "", "where scheduled backups go: a folder or s3://BUCKET?endpoint=…")
	str(&c.backup.passphrase, "backup-passphrase-file", "RHIZOME_BACKUP_PASSPHRASE_FILE", "", "file whose first line is the backup archive's passphrase")
	fs.IntVar(&c.backup.keep, "backup-keep", envInt("RHIZOME_BACKUP_KEEP"), "scheduled backups keep each account's newest N snapshots, pruning the rest (0 keeps all) ($RHIZOME_BACKUP_KEEP)")
	str(&retention, "event-retention", "RHIZOME_EVENT_RETENTION", "72h", "how long firehose events are kept for replay (at least 1h)")
	if err := fs.Parse(args); err != nil {
		return nil, usageErr(err.Error())
	}
	d, err := time.ParseDuration(retention)
	if err != nil || d < time.Hour {
		return nil, usageErr(fmt.Sprintf("--event-retention %q: want a duration of at least 1h, like 72h", retention))
	}
	c.eventRetention = d
	if backupEvery != "" {
		if c.backup.every, err = time.ParseDuration(backupEvery); err != nil {
			return nil, usageErr(fmt.Sprintf("--backup-every %q: want a duration like 6h", backupEvery))
		}
	}
	if err := c.backup.check(); err != nil {
		return nil, err
	}
	if c.db, err = parseDB(c.dbRaw, c.data); err != nil {
		return nil, usageErr(err.Error())
	}
	if c.blobs, err = parseBlobs(c.blobsRaw, c.data); err != nil {
		return nil, usageErr(err.Error())
	}
	for _, u := range c.relays() {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, usageErr(fmt.Sprintf("--crawlers: %q is not an http(s) URL", u))
		}
	}
	if c.publicURL == "" {
		c.publicURL = "http://" + c.listen
	}
	return c, nil
}

func (c *serveConfig) limits() (xrpc.RateLimits, error) {
	switch c.rateLimits {
	case "on", "":
		return xrpc.DefaultRateLimits, nil
	case "off":
		return xrpc.RateLimits{DisableAll: true}, nil
	}
	l, err := parseRates(c.rateLimits)
	if err != nil {
		return xrpc.RateLimits{}, usageErr(err.Error())
	}
	return l, nil
}

// relays lists the --crawlers URLs.
func (c *serveConfig) relays() []string {
	var out []string
	for _, u := range strings.Split(c.crawlers, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

func (c *serveConfig) domains() []string {
	var out []string
	for _, d := range strings.Split(c.handleDomains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			if !strings.HasPrefix(d, ".") {
				d = "." + d
			}
			out = append(out, strings.ToLower(d))
		}
	}
	return out
}

func runServe(ctx context.Context, args []string) error {
	cfg, err := serveFlags(args)
	if err != nil {
		return err
	}
	log := newLogger(cfg.logFormat)
	unlock, err := lockData(cfg.data)
	if err != nil {
		return err
	}
	defer unlock()
	pod, err := openPod(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer pod.close()
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return rhizome.E("listen", rhizome.Unavailable, err)
	}
	log.Info("rhizome listening", "addr", "http://"+ln.Addr().String(), "public_url", cfg.publicURL,
		"data", cfg.data, "db", cfg.db, "blobs", cfg.blobs, "plc", cfg.plcURL, "did", pod.pds.DID())
	return serveUntilDone(ctx, log, &http.Server{Handler: pod.handler(), ReadHeaderTimeout: 10 * time.Second}, ln, pod)
}

// serveUntilDone serves until ctx ends, then lets in-flight requests finish.
func serveUntilDone(ctx context.Context, log *slog.Logger, srv *http.Server, ln net.Listener, pod *pod) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go pod.background(ctx)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	pod.xrpc.Shutdown() // ends event streams, which srv.Shutdown does not wait for
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func newLogger(format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

// lockData takes an exclusive lock on the data folder, creating it, so two
// pods never share one.
func lockData(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, rhizome.E("open data folder", rhizome.Other, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, rhizome.E("open data folder", rhizome.Other, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, rhizome.Errorf("open data folder", rhizome.Conflict, "%s is in use by another rhizome process", dir)
	}
	return func() { f.Close() }, nil
}
