package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/replica"
	"github.com/rhizome-pds/rhizome/syntax"
)

const replicateUsage = `usage: rhizome replicate [--url URL] [--admin-password PW] COMMAND
Keep live, verified copies of repositories other pods host, and take one
over when its pod is gone. --url is this pod (the one keeping the copy).

commands:
  add DID --from URL       copy DID's repository and blobs from the pod at URL, then follow it
  list [--json]            each replica: DID, primary, head rev, lag, error
  remove DID               stop following and delete the copy
  promote DID              repoint DID to this pod, signed by your rotation key, and make the
                           account writable here: [--phrase-file F | --key NAME --keystore DIR
                           --passphrase-file F] [--password-file F] [--plc URL] [--keep-keys]
flags have environment twins: $RHIZOME_URL, $RHIZOME_ADMIN_PASSWORD, $RHIZOME_PLC_URL`

// runReplicate dispatches "rhizome replicate COMMAND"; its flags are the
// identity commands' (for promote's key) plus the admin client's.
func runReplicate(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(os.Stderr, replicateUsage)
		return nil
	}
	f := newIDFlags("replicate " + args[0])
	u := f.fs.String("url", envOr("RHIZOME_URL", "http://127.0.0.1:2583"), "this pod's URL")
	pw := f.fs.String("admin-password", os.Getenv("RHIZOME_ADMIN_PASSWORD"), "admin password")
	pos, err := f.parse(args[1:])
	if err != nil {
		return err
	}
	c := &adminClient{base: strings.TrimRight(*u, "/"), password: *pw, http: &http.Client{Timeout: 30 * time.Minute}}
	switch cmd := args[0]; {
	case cmd == "add" && len(pos) == 1 && f.from != "":
		var in replica.Info
		if err := c.call(ctx, "dev.rhizome.admin.addReplica", map[string]string{"did": pos[0], "from": f.from}, &in); err != nil {
			return err
		}
		return f.emit(in, fmt.Sprintf("replicating %s from %s: head %s\n", in.DID, in.Primary, in.Rev))
	case cmd == "list" && len(pos) == 0:
		return replicaList(ctx, c, f)
	case cmd == "remove" && len(pos) == 1:
		return c.call(ctx, "dev.rhizome.admin.removeReplica", map[string]string{"did": pos[0]}, nil)
	case cmd == "promote" && len(pos) == 1:
		return replicaPromote(ctx, c, f, pos[0])
	}
	return usageErr(replicateUsage)
}

func replicas(ctx context.Context, c *adminClient) ([]replica.Info, error) {
	var out struct{ Replicas []replica.Info }
	err := c.get(ctx, "dev.rhizome.admin.listReplicas", url.Values{}, &out)
	return out.Replicas, err
}

func replicaList(ctx context.Context, c *adminClient, f *idFlags) error {
	list, err := replicas(ctx, c)
	if err != nil || f.json {
		if err == nil {
			err = f.emit(map[string]any{"replicas": list}, "")
		}
		return err
	}
	tw := tabwriter.NewWriter(f.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DID\tPRIMARY\tREV\tLAG\tLAST COMMIT\tERROR")
	for _, r := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%dms\t%s\t%s\n", r.DID, r.Primary, r.Rev, r.LagMillis, r.LastCommit, r.Error)
	}
	return tw.Flush()
}

// replicaPromote names this pod and the replica's key in the DID (signed
// by the user's rotation key, custody's restore flow), then asks the pod
// to make the replica an active account with the user's password.
func replicaPromote(ctx context.Context, c *adminClient, f *idFlags, arg string) error {
	did, err := syntax.ParseDID(arg)
	if err != nil {
		return usageErr("promote: " + err.Error())
	}
	list, err := replicas(ctx, c)
	if err != nil {
		return err
	}
	var r *replica.Info
	for i := range list {
		if list[i].DID == did {
			r = &list[i]
		}
	}
	if r == nil {
		return rhizome.Errorf("promote replica", rhizome.NotFound, "%s has no replica on %s", did, c.base)
	}
	s, err := f.signer()
	if err != nil {
		return err
	}
	password, err := f.accountPassword()
	if err != nil {
		return err
	}
	ch, dropped, err := f.tool().Repoint(ctx, did, s, r.Endpoint, r.SigningKey, f.keepKeys)
	if err != nil {
		return err
	}
	if err := c.call(ctx, "dev.rhizome.admin.promoteReplica", map[string]string{"did": string(did), "password": password}, nil); err != nil {
		return err
	}
	out := map[string]any{"did": did, "pds": r.Endpoint, "signingKey": r.SigningKey, "droppedRotationKeys": dropped}
	if ch != nil {
		out["op"] = ch.CID.String()
	}
	return f.emit(out, fmt.Sprintf("%s now lives on %s (signing key %s); sign in with your password\n", did, r.Endpoint, r.SigningKey))
}
