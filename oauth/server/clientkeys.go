package server

import (
	"context"
	"encoding/json"
	"net"
	"net/url"

	"github.com/rhizome-pds/rhizome/oauth/dpop"
)

// maxClientKeys bounds the keys kept of a client's key set.
const maxClientKeys = 32

// JWKS is a JSON Web Key Set (RFC 7517 §5), as a confidential client
// publishes its authentication keys: inline in its metadata (jwks) or as
// a document of its own (jwks_uri).
type JWKS struct {
	Keys []json.RawMessage `json:"keys"`
}

// ClientKey is a usable authentication key of a confidential client.
type ClientKey struct {
	KID string    // the JWK's kid, which a client assertion names
	Key *dpop.Key // an EC public key on P-256 or secp256k1
}

// Thumbprint returns the key's RFC 7638 thumbprint.
func (k ClientKey) Thumbprint() string { return k.Key.Thumbprint() }

// KeyByThumbprint reports whether the client still publishes the key
// with thumbprint jkt.
func (c *Client) KeyByThumbprint(jkt string) bool {
	for _, k := range c.Keys {
		if equal(k.Thumbprint(), jkt) {
			return true
		}
	}
	return false
}

// useKeys keeps the keys of set a client assertion could be signed with:
// public EC keys with a kid, for signatures, of the client's
// token_endpoint_auth_signing_alg. Other keys (RSA, encryption keys,
// keys without kid) are skipped; a key set without a usable key is an
// error.
func (c *Client) useKeys(set *JWKS) error {
	c.Keys = nil
	for _, raw := range set.Keys {
		var m struct {
			KID string `json:"kid"`
		}
		if json.Unmarshal(raw, &m) != nil || m.KID == "" {
			continue
		}
		k, err := dpop.ParseKey(raw)
		if err != nil || k.Alg() != c.TokenEndpointAuthAlg {
			continue
		}
		c.Keys = append(c.Keys, ClientKey{KID: m.KID, Key: k})
		if len(c.Keys) == maxClientKeys {
			break
		}
	}
	if len(c.Keys) == 0 {
		return invalidClient("the client's key set has no %s signing key with a kid", c.TokenEndpointAuthAlg)
	}
	return nil
}

// checkConfidential checks the metadata of a private_key_jwt client: a
// signing algorithm this server verifies and one source of keys, the
// inline one usable at once.
func (c *Client) checkConfidential() error {
	switch {
	case c.TokenEndpointAuthAlg != dpop.ES256 && c.TokenEndpointAuthAlg != dpop.ES256K:
		return invalidClient("token_endpoint_auth_signing_alg %q: want ES256 or ES256K", clip(c.TokenEndpointAuthAlg))
	case (c.JWKS == nil) == (c.JWKSURI == ""):
		return invalidClient("a private_key_jwt client has either jwks or jwks_uri")
	case c.JWKS != nil:
		return c.useKeys(c.JWKS)
	}
	_, err := checkJWKSURI(c.JWKSURI)
	return err
}

// checkJWKSURI accepts an https URL naming a host, as for client_ids.
func checkJWKSURI(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "":
		return nil, invalidClient("jwks_uri %q is not an https URL", clip(s))
	case u.User != nil || u.Fragment != "":
		return nil, invalidClient("jwks_uri %q has credentials or a fragment", clip(s))
	case net.ParseIP(u.Hostname()) != nil:
		return nil, invalidClient("jwks_uri %q names an IP address", clip(s))
	}
	return u, nil
}

// loadKeys fetches the key set of a confidential client that publishes
// it at jwks_uri, through the same guarded client, limits and timeout
// as metadata documents; the keys are cached with the metadata.
func (r *MetadataResolver) loadKeys(ctx context.Context, c *Client) error {
	if c.Public() || c.JWKSURI == "" {
		return nil
	}
	u, err := checkJWKSURI(c.JWKSURI)
	if err != nil {
		return err
	}
	var set JWKS
	if err := r.get(ctx, "fetch client jwks", u, &set); err != nil {
		return err
	}
	return c.useKeys(&set)
}
