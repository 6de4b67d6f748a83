package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

func runCAR(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageErr("usage: rhizome car verify [--did DID] [--key did:key:...] [--json] FILE")
	}
	fs := flag.NewFlagSet("car verify", flag.ContinueOnError)
	did := fs.String("did", "", "require the commit to be for this DID")
	key := fs.String("key", "", "verify the commit signature with this did:key")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return usageErr(err.Error())
	}
	if fs.NArg() != 1 {
		return usageErr("car verify takes one FILE")
	}
	opts, err := importOptions(*did, *key)
	if err != nil {
		return err
	}
	return verifyCAR(ctx, fs.Arg(0), opts, *asJSON)
}

func importOptions(did, key string) (repo.ImportOptions, error) {
	var opts repo.ImportOptions
	var err error
	if did != "" {
		if opts.DID, err = syntax.ParseDID(did); err != nil {
			return opts, err
		}
	}
	if key != "" {
		if opts.Key, err = keys.ParsePublicDIDKey(key); err != nil {
			return opts, err
		}
	}
	return opts, nil
}

func verifyCAR(ctx context.Context, path string, opts repo.ImportOptions, asJSON bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, st, err := repo.ReadCAR(ctx, f, mem.NewBlocks(), opts)
	if err != nil {
		return fmt.Errorf("verify %s: %w", path, err)
	}
	head, c := r.Head()
	out := map[string]any{
		"did": head.DID, "rev": head.Rev, "commit": c.String(), "data": head.Data.String(),
		"blocks": st.Blocks, "bytes": st.Bytes, "nodes": st.Nodes, "records": st.Records,
		"signatureChecked": opts.Key != nil,
	}
	if asJSON {
		return json.NewEncoder(os.Stdout).Encode(out)
	}
	fmt.Printf("ok: %s at rev %s, commit %s\n%d records, %d MST nodes, %d blocks, %d bytes; signature checked: %v\n",
		head.DID, head.Rev, c, st.Records, st.Nodes, st.Blocks, st.Bytes, opts.Key != nil)
	return nil
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErr(msg string) error { return usageError{msg} }

// exitCode maps an error to a process exit code: 2 for usage, 3 for
// invalid or corrupt input, 1 otherwise.
func exitCode(err error) int {
	var u usageError
	switch {
	case errors.As(err, &u):
		return 2
	case rhizome.Is(err, rhizome.Invalid), rhizome.Is(err, rhizome.Corrupt):
		return 3
	}
	return 1
}
