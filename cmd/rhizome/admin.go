package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rhizome-pds/rhizome"
)

const adminUsage = `usage: rhizome admin [--url URL] [--admin-password PW] COMMAND
commands:
  accounts                     list accounts (DID, handle, status)
  takedown DID | restore DID   take an account down, or lift it
  delete DID                   delete an account and all its data
  reset-password DID PASSWORD  set a new password (ends the account's sessions)
  invite [USES]                create an invite code (default 1 use)
flags have environment twins: $RHIZOME_URL, $RHIZOME_ADMIN_PASSWORD`

// adminClient calls a pod's admin XRPC methods.
type adminClient struct {
	base, password string
	http           *http.Client
}

func runAdmin(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	u := fs.String("url", envOr("RHIZOME_URL", "http://127.0.0.1:2583"), "pod URL")
	pw := fs.String("admin-password", os.Getenv("RHIZOME_ADMIN_PASSWORD"), "admin password")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		return usageErr(adminUsage)
	}
	c := &adminClient{base: strings.TrimRight(*u, "/"), password: *pw, http: &http.Client{Timeout: 30 * time.Second}}
	rest := fs.Args()[1:]
	switch cmd := fs.Arg(0); {
	case cmd == "accounts" && len(rest) == 0:
		return c.accounts(ctx, os.Stdout)
	case (cmd == "takedown" || cmd == "restore") && len(rest) == 1:
		return c.call(ctx, "com.atproto.admin.updateSubjectStatus", map[string]any{
			"subject":  map[string]any{"$type": "com.atproto.admin.defs#repoRef", "did": rest[0]},
			"takedown": map[string]any{"applied": cmd == "takedown"}}, nil)
	case cmd == "delete" && len(rest) == 1:
		return c.call(ctx, "com.atproto.admin.deleteAccount", map[string]any{"did": rest[0]}, nil)
	case cmd == "reset-password" && len(rest) == 2:
		return c.call(ctx, "com.atproto.admin.updateAccountPassword", map[string]any{"did": rest[0], "password": rest[1]}, nil)
	case cmd == "invite" && len(rest) <= 1:
		return c.invite(ctx, rest)
	}
	return usageErr(adminUsage)
}

func (c *adminClient) invite(ctx context.Context, rest []string) error {
	uses := 1
	if len(rest) == 1 {
		if _, err := fmt.Sscanf(rest[0], "%d", &uses); err != nil {
			return usageErr("invite: USES must be a number")
		}
	}
	var out struct{ Code string }
	if err := c.call(ctx, "com.atproto.server.createInviteCode", map[string]any{"useCount": uses}, &out); err != nil {
		return err
	}
	fmt.Println(out.Code)
	return nil
}

func (c *adminClient) accounts(ctx context.Context, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DID\tHANDLE\tSTATUS\tCREATED")
	cursor := ""
	for {
		var page struct {
			Repos  []struct{ DID string }
			Cursor string
		}
		if err := c.get(ctx, "com.atproto.sync.listRepos", url.Values{"limit": {"1000"}, "cursor": {cursor}}, &page); err != nil {
			return err
		}
		for _, r := range page.Repos {
			var a struct{ DID, Handle, Status, IndexedAt string }
			if err := c.get(ctx, "com.atproto.admin.getAccountInfo", url.Values{"did": {r.DID}}, &a); err != nil {
				return err
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.DID, a.Handle, a.Status, a.IndexedAt)
		}
		if page.Cursor == "" || len(page.Repos) == 0 {
			return tw.Flush()
		}
		cursor = page.Cursor
	}
}

func (c *adminClient) get(ctx context.Context, nsid string, q url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/xrpc/"+nsid+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	return c.do(req, out)
}

func (c *adminClient) call(ctx context.Context, nsid string, in, out any) error {
	b, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/xrpc/"+nsid, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, out)
}

func (c *adminClient) do(req *http.Request, out any) error {
	req.SetBasicAuth("admin", c.password)
	resp, err := c.http.Do(req)
	if err != nil {
		return rhizome.E("call pod", rhizome.Unavailable, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error, Message string }
		json.Unmarshal(body, &e)
		kind := rhizome.Invalid
		if resp.StatusCode == http.StatusUnauthorized {
			kind = rhizome.Unauthorized
		}
		return rhizome.Errorf("call pod", kind, "%s: %s %s", req.URL.Path, e.Error, e.Message)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}
