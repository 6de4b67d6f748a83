// Command rhizome is the Rhizome binary: the personal data pod and the
// tools around it. Each subcommand lives in its own file.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name, usage string
	run         func(ctx context.Context, args []string) error
}

var commands = []command{
	{"version", "print the version", runVersion},
	{"serve", "run the pod (serve --help for settings)", runServe},
	{"plc", "run a did:plc directory (plc serve)", runPLC},
	{"admin", "administer a running pod (admin help)", runAdmin},
	{"bench", "load-test any PDS: createRecord, getRecord, listRecords, applyWrites, getRepo", runBench},
	{"car", "verify or inspect repository CAR files (car verify FILE)", runCAR},
	{"store", "move a pod to another store, verified: store copy --from DB --to DB (store help)", runStore},
	{"migrate", "move your account to another pod: migrate --from URL --to URL --account ID (migrate help)", runMigrate},
	{"grants", "the apps you allowed to use your account: list, revoke (grants help)", runGrants},
	{"identity", "your identity under keys you hold: create, show, audit, change, recover, move (identity help)", runIdentity},
	{"replicate", "keep live copies of other pods' repositories and take one over: add, list, remove, promote (replicate help)", runReplicate},
	{"backup", "encrypted, incremental backups of an account: create, list, verify, restore (backup help)", runBackup},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage()
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			if err := c.run(ctx, args[1:]); err != nil {
				fmt.Fprintln(os.Stderr, "rhizome:", err)
				return exitCode(err)
			}
			return 0
		}
	}
	fmt.Fprintf(os.Stderr, "rhizome: unknown command %q\n\n", args[0])
	usage()
	return 2
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: rhizome COMMAND [ARGS]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", c.name, c.usage)
	}
}

func runVersion(context.Context, []string) error {
	fmt.Println("rhizome", version)
	return nil
}
