package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rhizome-pds/rhizome"
	oauth "github.com/rhizome-pds/rhizome/oauth/server"
)

const grantsUsage = `usage: rhizome grants [--url URL] --handle HANDLE [--password-file F] [--json] COMMAND
commands:
  list        the apps you allowed to use your account (OAuth grants), with what each may do
  revoke ID   end a grant: the app's next request is refused
The account password comes from --password-file, $RHIZOME_ACCOUNT_PASSWORD or the terminal.
flags have environment twins: $RHIZOME_URL, $RHIZOME_HANDLE`

func runGrants(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("grants", flag.ContinueOnError)
	u := fs.String("url", envOr("RHIZOME_URL", "http://127.0.0.1:2583"), "pod URL")
	handle := fs.String("handle", os.Getenv("RHIZOME_HANDLE"), "your handle, DID or email")
	pwFile := fs.String("password-file", "", "file whose first line is the account password")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 || *handle == "" {
		return usageErr(grantsUsage)
	}
	rest := fs.Args()[1:]
	cmd := fs.Arg(0)
	if !(cmd == "list" && len(rest) == 0) && !(cmd == "revoke" && len(rest) == 1) {
		return usageErr(grantsUsage)
	}
	pw, err := readAccountPassword(*pwFile, false)
	if err != nil {
		return err
	}
	c := &userClient{base: strings.TrimRight(*u, "/"), http: &http.Client{Timeout: 30 * time.Second}}
	if err := c.login(ctx, *handle, pw); err != nil {
		return err
	}
	if cmd == "revoke" {
		return c.call(ctx, "POST", "dev.rhizome.server.revokeGrant", map[string]string{"id": rest[0]}, nil)
	}
	var out struct{ Grants []oauth.GrantInfo }
	if err := c.call(ctx, "GET", "dev.rhizome.server.listGrants", nil, &out); err != nil {
		return err
	}
	return printGrants(os.Stdout, out.Grants, *asJSON)
}

func printGrants(w io.Writer, gs []oauth.GrantInfo, asJSON bool) error {
	if asJSON {
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(gs)
	}
	if len(gs) == 0 {
		fmt.Fprintln(w, "No app can use your account.")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAPP\tDOMAIN\tALLOWED\tUNTIL")
	for _, g := range gs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.ID, g.ClientName, g.Domain, g.CreatedAt.Format(time.DateTime), g.ExpiresAt.Format(time.DateOnly))
		for _, p := range g.Permissions {
			fmt.Fprintf(tw, "\t  - %s\t\t\t\n", p.Text)
		}
	}
	return tw.Flush()
}

// userClient calls a pod's XRPC methods with the account's password
// session.
type userClient struct {
	base, access string
	http         *http.Client
}

func (c *userClient) login(ctx context.Context, identifier, password string) error {
	var out struct{ AccessJwt string }
	err := c.call(ctx, "POST", "com.atproto.server.createSession", map[string]string{"identifier": identifier, "password": password}, &out)
	c.access = out.AccessJwt
	return err
}

func (c *userClient) call(ctx context.Context, method, nsid string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/xrpc/"+nsid, body)
	if err != nil {
		return rhizome.E(nsid, rhizome.Invalid, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.access != "" {
		req.Header.Set("Authorization", "Bearer "+c.access)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return rhizome.E(nsid, rhizome.Unavailable, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode != http.StatusOK {
		return rhizome.Errorf(nsid, rhizome.Other, "pod answered %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}
