package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/store"
)

// rhizome store copy moves a pod's data from one store to another (from
// the embedded SQLite + disk to PostgreSQL + S3, typically) through the
// store contracts alone, so it works between any two implementations.
//
// What it copies, in order: the embedded PLC directory's log, invite
// codes, then account by account the account, its repository (every
// block, the record index with blob references, the head), its app
// passwords, live sessions and blobs (metadata and bytes), and last the
// event log. Each repository is verified on the target before the next
// account: the head matches, the commit's signature verifies against the
// account's signing key (opened with the keyring of --data), the MST is
// well formed, every record block is present and matches its CID, and
// the record index holds exactly the tree's records. Every blob is read
// back from the target and hashed.
//
// It is resumable: what the target already holds, and verifies, is
// skipped; a repository or blob that is there but incomplete is filled
// in. It refuses to write over different data: an account with another
// signing key or creation time, a repository ahead of the source's, an
// app password, invite, event or PLC operation that differs. A target
// repository behind the source's (the source pod kept running between
// two copies) is replaced by the source's. Run it with the source pod
// stopped, and start pods on the target only once it reports success.
//
// Blocks on the target are all tagged with the head's rev (the contract
// does not tell which commit wrote a block), so getRepo with an older
// since returns the whole repository there rather than a diff; events
// keep their order and bytes, and their sequence numbers if the target's
// log starts where the source's does (see copyEvents).

func runStore(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(os.Stderr, "usage: rhizome store copy --from DB --to DB [--blobs-from BLOBS --blobs-to BLOBS] [--data DIR] [--json]\n\n"+
			"  copy   copy every account, repository, blob, session, invite, event and PLC operation to another store,\n"+
			"         verifying each repository and blob on the target (store copy --help)")
		return nil
	}
	if args[0] != "copy" {
		return usageErr(fmt.Sprintf("store: unknown command %q (want copy)", args[0]))
	}
	cfg, err := copyFlags(args[1:])
	if err != nil {
		return err
	}
	return runCopy(ctx, cfg, os.Stdout, os.Stderr)
}

// copyConfig is what rhizome store copy was asked to do.
type copyConfig struct {
	from, to           dbURL
	blobsFrom, blobsTo blobsURL // kind 0 when not given
	data               string   // the folder holding keyring.key
	json               bool
}

func copyFlags(args []string) (*copyConfig, error) {
	fs := flag.NewFlagSet("store copy", flag.ContinueOnError)
	from := fs.String("from", "", "source record store: "+dbForms)
	to := fs.String("to", "", "target record store: "+dbForms)
	blobsFrom := fs.String("blobs-from", "", "source blob store: "+blobsForms)
	blobsTo := fs.String("blobs-to", "", "target blob store: "+blobsForms+" (S3 credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
	data := os.Getenv("RHIZOME_DATA")
	if data == "" {
		data = "./rhizome-data"
	}
	fs.StringVar(&data, "data", data, "the pod's data folder, whose keyring.key opens the accounts' signing keys to verify commits ($RHIZOME_DATA)")
	asJSON := fs.Bool("json", false, "write progress as JSON lines on stdout")
	if err := fs.Parse(args); err != nil {
		return nil, usageErr(err.Error())
	}
	if *from == "" || *to == "" {
		return nil, usageErr("store copy: --from and --to are required")
	}
	if *from == *to || (*blobsFrom != "" && *blobsFrom == *blobsTo) {
		return nil, usageErr("store copy: the source and the target are the same")
	}
	if (*blobsFrom == "") != (*blobsTo == "") {
		return nil, usageErr("store copy: give both --blobs-from and --blobs-to, or neither")
	}
	cfg := &copyConfig{data: data, json: *asJSON}
	var err error
	if cfg.from, err = parseDB(*from, ""); err != nil {
		return nil, usageErr(err.Error())
	}
	if cfg.to, err = parseDB(*to, ""); err != nil {
		return nil, usageErr(err.Error())
	}
	if *blobsFrom != "" {
		if cfg.blobsFrom, err = parseBlobs(*blobsFrom, ""); err != nil {
			return nil, usageErr(err.Error())
		}
		if cfg.blobsTo, err = parseBlobs(*blobsTo, ""); err != nil {
			return nil, usageErr(err.Error())
		}
	}
	return cfg, nil
}

// runCopy opens the stores and copies; progress goes to stdout as JSON
// lines with --json, else as a bar on stderr when it is a terminal; the
// summary goes to stdout.
func runCopy(ctx context.Context, cfg *copyConfig, stdout io.Writer, stderr *os.File) error {
	c, closeAll, err := openCopy(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	switch {
	case cfg.json:
		c.prog = newProgress(stdout, progressJSON)
	case isTerminal(stderr):
		c.prog = newProgress(stderr, progressBar)
	default:
		c.prog = newProgress(io.Discard, progressNone)
	}
	if err := c.run(ctx); err != nil {
		return err
	}
	if !cfg.json {
		printSummary(stdout, c.prog.counts())
	}
	return nil
}

func printSummary(w io.Writer, n copyCounts) {
	fmt.Fprintf(w, "copied and verified %d accounts: %d records, %d blocks, %d blobs (%s), %d sessions; %d invites, %d events, %d PLC operations; %d items were already there\n",
		n.VerifiedRepos, n.Records, n.Blocks, n.VerifiedBlobs, bytesString(n.BlobBytes), n.Sessions, n.Invites, n.Events, n.PLCOps, n.Skipped)
	if n.EventSeqShift != 0 {
		fmt.Fprintf(w, "event sequence numbers moved by %+d: tell relays to crawl the pod again\n", n.EventSeqShift)
	}
}

// openCopy opens the keyring, locks the data folder as a running pod
// does, and opens the stores.
func openCopy(ctx context.Context, cfg *copyConfig) (*copier, func(), error) {
	kr, err := openKeyring(cfg.data)
	if err != nil {
		return nil, nil, err
	}
	unlock, err := lockData(cfg.data) // no pod may run on the data folder meanwhile
	if err != nil {
		return nil, nil, fmt.Errorf("store copy: stop the pod first: %w", err)
	}
	c, closeAll, err := openStores(ctx, cfg, kr)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return c, func() { closeAll(); unlock() }, nil
}

// openStores opens the four stores; closeAll closes the record stores.
func openStores(ctx context.Context, cfg *copyConfig, kr *keys.Keyring) (*copier, func(), error) {
	if err := mustExist(cfg.from.kind == dbSQLite, cfg.from.path, "--from"); err != nil {
		return nil, nil, err
	}
	if err := mustExist(cfg.blobsFrom.kind == blobsDisk, cfg.blobsFrom.path, "--blobs-from"); err != nil {
		return nil, nil, err
	}
	from, err := openStore(ctx, cfg.from)
	if err != nil {
		return nil, nil, fmt.Errorf("open source store %s: %w", cfg.from, err)
	}
	to, err := openStore(ctx, cfg.to)
	if err != nil {
		from.Close()
		return nil, nil, fmt.Errorf("open target store %s: %w", cfg.to, err)
	}
	closeAll := func() { from.Close(); to.Close() }
	c := &copier{from: from, to: to, keyring: kr, keyringPath: cfg.data}
	if cfg.blobsFrom.kind != 0 {
		if c.bfrom, c.bto, err = openBlobPair(ctx, cfg); err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	return c, closeAll, nil
}

func openBlobPair(ctx context.Context, cfg *copyConfig) (from, to blobstore.Store, err error) {
	if from, err = openBlobs(ctx, cfg.blobsFrom); err != nil {
		return nil, nil, fmt.Errorf("open source blob store %s: %w", cfg.blobsFrom, err)
	}
	if to, err = openBlobs(ctx, cfg.blobsTo); err != nil {
		return nil, nil, fmt.Errorf("open target blob store %s: %w", cfg.blobsTo, err)
	}
	return from, to, nil
}

// openKeyring opens the keyring of a data folder without creating one.
func openKeyring(dir string) (*keys.Keyring, error) {
	path := filepath.Join(dir, "keyring.key")
	if _, err := os.Stat(path); err != nil {
		return nil, rhizome.Errorf("store copy", rhizome.Invalid,
			"no keyring at %s: give --data the pod's data folder (its keyring opens the signing keys that verify each repository)", path)
	}
	return keys.LoadOrCreateKeyring(path)
}

// mustExist refuses a source path that is not there (opening it would
// create an empty store).
func mustExist(check bool, path, flag string) error {
	if !check {
		return nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return rhizome.Errorf("store copy", rhizome.Invalid, "%s: %s does not exist", flag, path)
	}
	return nil
}

// copier copies one store (and blob store) into another.
type copier struct {
	from, to    store.Store
	bfrom, bto  blobstore.Store // nil without --blobs-from/--blobs-to
	keyring     *keys.Keyring
	keyringPath string
	prog        *progress
	// temps are the source's temporary blobs by account, read once.
	temps map[string][]store.Blob
	// chunkBlocks and chunkBytes bound one write to the target.
	chunkBlocks, chunkBytes int
}

// run copies everything, then reports the end.
func (c *copier) run(ctx context.Context) error {
	if c.chunkBlocks == 0 {
		c.chunkBlocks, c.chunkBytes = 5000, 8<<20
	}
	steps := []struct {
		phase string
		fn    func(context.Context) error
	}{
		{"plc", c.copyPLC},
		{"invites", c.copyInvites},
		{"accounts", c.copyAccounts},
		{"events", c.copyEvents},
	}
	for _, s := range steps {
		c.prog.phase(s.phase)
		if err := s.fn(ctx); err != nil {
			return err
		}
	}
	c.prog.finish()
	return nil
}

// copyAccounts copies and verifies every account, in DID order.
func (c *copier) copyAccounts(ctx context.Context) error {
	total, err := c.countAccounts(ctx)
	if err != nil {
		return err
	}
	c.prog.update(true, func(n *copyCounts) { n.AccountsTotal = total })
	if err := c.loadTempBlobs(ctx); err != nil {
		return err
	}
	return eachAccount(ctx, c.from, func(a store.Account) error {
		if err := c.copyAccount(ctx, a); err != nil {
			return fmt.Errorf("copy account %s: %w", a.DID, err)
		}
		c.prog.update(true, func(n *copyCounts) { n.Accounts++ })
		return nil
	})
}

func (c *copier) countAccounts(ctx context.Context) (int, error) {
	n := 0
	err := eachAccount(ctx, c.from, func(store.Account) error { n++; return nil })
	return n, err
}

// eachAccount calls fn for every account of st, in DID order.
func eachAccount(ctx context.Context, st store.Store, fn func(store.Account) error) error {
	cursor := ""
	for {
		page, err := st.ListAccounts(ctx, store.Page{Cursor: cursor, Limit: 500})
		if err != nil {
			return fmt.Errorf("list accounts: %w", err)
		}
		for _, a := range page {
			if err := fn(a); err != nil {
				return err
			}
		}
		if len(page) < 500 {
			return nil
		}
		cursor = string(page[len(page)-1].DID)
	}
}

// copyAccount copies one account: the account and its repository
// (verified), then its app passwords, preferences, sessions and blobs.
func (c *copier) copyAccount(ctx context.Context, a store.Account) error {
	if err := c.copyRepo(ctx, a); err != nil {
		return err
	}
	if err := c.copyAppPasswords(ctx, a.DID); err != nil {
		return err
	}
	if err := c.copyPreferences(ctx, a.DID); err != nil {
		return err
	}
	if err := c.copySessions(ctx, a.DID); err != nil {
		return err
	}
	return c.copyBlobs(ctx, a.DID)
}
