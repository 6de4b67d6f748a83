package custody

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// Pod speaks the XRPC methods the tool needs to any PDS.
type Pod struct {
	URL  string       // e.g. https://pod.example, no trailing slash needed
	HTTP *http.Client // nil: a client with a 60-second timeout
}

var defaultPodHTTP = &http.Client{Timeout: 60 * time.Second}

// Response size limits.
const (
	maxJSONResponse = 1 << 20
	// MaxDownload bounds one repository CAR or blob fetched by Backup.
	MaxDownload = 1 << 30
)

const opPod = "call pod"

// xrpcError is an XRPC error body.
type xrpcError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// call sends one XRPC request; body may be nil, token empty. It returns
// the response for the caller to read and close.
func (p *Pod) call(ctx context.Context, method, nsid string, q url.Values, token, ctype string, body io.Reader) (*http.Response, error) {
	u := strings.TrimSuffix(p.URL, "/") + "/xrpc/" + nsid
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, rhizome.Errorf(opPod, rhizome.Invalid, "%s: %w", nsid, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := p.HTTP
	if hc == nil {
		hc = defaultPodHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, rhizome.Errorf(opPod, rhizome.Unavailable, "%s: %w", nsid, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, podError(nsid, resp)
	}
	return resp, nil
}

func podError(nsid string, resp *http.Response) error {
	var e xrpcError
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
	if json.Unmarshal(b, &e) != nil || e.Error == "" {
		e.Error, e.Message = http.StatusText(resp.StatusCode), strings.TrimSpace(string(b))
	}
	kind := rhizome.Invalid
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		kind = rhizome.Unauthorized
	case resp.StatusCode == http.StatusForbidden:
		kind = rhizome.Forbidden
	case resp.StatusCode == http.StatusNotFound:
		kind = rhizome.NotFound
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		kind = rhizome.Unavailable
	}
	return rhizome.Errorf(opPod, kind, "%s: %d %s: %s", nsid, resp.StatusCode, e.Error, e.Message).Named(e.Error)
}

// postJSON calls a procedure with a JSON body and decodes the output into
// out (if not nil).
func (p *Pod) postJSON(ctx context.Context, nsid, token string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return rhizome.Errorf(opPod, rhizome.Invalid, "%s: %w", nsid, err)
	}
	resp, err := p.call(ctx, http.MethodPost, nsid, nil, token, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(nsid, resp.Body, out)
}

// getJSON calls a query and decodes its output into out.
func (p *Pod) getJSON(ctx context.Context, nsid string, q url.Values, out any) error {
	return p.getJSONAs(ctx, nsid, q, "", out)
}

// getJSONAs calls a query with a bearer token (empty: none).
func (p *Pod) getJSONAs(ctx context.Context, nsid string, q url.Values, token string, out any) error {
	resp, err := p.call(ctx, http.MethodGet, nsid, q, token, "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(nsid, resp.Body, out)
}

func decode(nsid string, r io.Reader, out any) error {
	b, err := io.ReadAll(io.LimitReader(r, maxJSONResponse+1))
	if err != nil {
		return rhizome.Errorf(opPod, rhizome.Unavailable, "%s: read response: %w", nsid, err)
	}
	if len(b) > maxJSONResponse {
		return rhizome.Errorf(opPod, rhizome.TooLarge, "%s: response exceeds %d bytes", nsid, maxJSONResponse)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return rhizome.Errorf(opPod, rhizome.Invalid, "%s: decode response: %w", nsid, err)
	}
	return nil
}

// ServiceDID returns the pod's service DID (describeServer), the audience
// of service tokens addressed to it.
func (p *Pod) ServiceDID(ctx context.Context) (string, error) {
	var out struct{ DID string }
	if err := p.getJSON(ctx, "com.atproto.server.describeServer", nil, &out); err != nil {
		return "", err
	}
	if !strings.HasPrefix(out.DID, "did:") {
		return "", rhizome.Errorf(opPod, rhizome.Invalid, "describeServer: %q is not a DID", out.DID)
	}
	return out.DID, nil
}

// ReserveSigningKey asks the pod for the signing key it will use for did.
func (p *Pod) ReserveSigningKey(ctx context.Context, did string) (string, error) {
	var out struct{ SigningKey string }
	if err := p.postJSON(ctx, "com.atproto.server.reserveSigningKey", "", map[string]string{"did": did}, &out); err != nil {
		return "", err
	}
	return out.SigningKey, nil
}

// Account is what createAccount asks for.
type Account struct {
	Handle, Email, Password, InviteCode string
	// RecoveryKey is a did:key the pod places first among a new DID's
	// rotation keys.
	RecoveryKey string
	// DID, with ServiceToken, brings an existing identity.
	DID, ServiceToken string
}

// Session is createAccount's answer.
type Session struct {
	DID        string `json:"did"`
	Handle     string `json:"handle"`
	AccessJWT  string `json:"accessJwt"`
	RefreshJWT string `json:"refreshJwt"`
	Email      string `json:"email"`
	Active     *bool  `json:"active"`
	Status     string `json:"status"`
}

// CreateAccount calls com.atproto.server.createAccount.
func (p *Pod) CreateAccount(ctx context.Context, a Account) (*Session, error) {
	in := map[string]string{"handle": a.Handle, "email": a.Email, "password": a.Password}
	for k, v := range map[string]string{"inviteCode": a.InviteCode, "recoveryKey": a.RecoveryKey, "did": a.DID} {
		if v != "" {
			in[k] = v
		}
	}
	var s Session
	if err := p.postJSON(ctx, "com.atproto.server.createAccount", a.ServiceToken, in, &s); err != nil {
		return nil, err
	}
	if s.DID == "" || s.AccessJWT == "" {
		return nil, rhizome.E(opPod, rhizome.Invalid, "createAccount: the answer lacks a DID or token")
	}
	return &s, nil
}

// ActivateAccount calls com.atproto.server.activateAccount.
func (p *Pod) ActivateAccount(ctx context.Context, token string) error {
	return p.postEmpty(ctx, "com.atproto.server.activateAccount", token)
}

// postEmpty calls a procedure that takes no input: with no body, which
// the reference PDS insists on.
func (p *Pod) postEmpty(ctx context.Context, nsid, token string) error {
	resp, err := p.call(ctx, http.MethodPost, nsid, nil, token, "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(nsid, resp.Body, nil)
}

func (s *Session) String() string { return fmt.Sprintf("%s (%s)", s.Handle, s.DID) }
