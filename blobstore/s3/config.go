package s3

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"

	rhizome "github.com/rhizome-pds/rhizome"
)

// Config is a parsed and checked blob store URL.
type Config struct {
	Bucket   string // an S3 bucket name, checked against the strict naming rules
	Endpoint string // host or host:port of the service, without a scheme
	Secure   bool   // HTTPS; false only with insecure=true or an http:// endpoint
	Region   string // "" lets the client ask the service for the bucket's region
	Prefix   string // key prefix: "" or a relative path ending in "/"
	Create   bool   // create the bucket in Open when it is missing
}

// maxPrefix bounds the key prefix so that prefix, escaped DID and CID stay
// well under the 1024-byte key limit of S3.
const maxPrefix = 512

// The query parameters ParseURL knows; any other is an error, so a typo
// does not silently fall back to a default.
const (
	paramEndpoint = "endpoint"
	paramRegion   = "region"
	paramPrefix   = "prefix"
	paramInsecure = "insecure"
	paramCreate   = "create"
)

// ParseURL parses a blob store URL of the form
//
//	s3://bucket?endpoint=host:port&region=us-east-1[&prefix=p/][&insecure=true][&create=true]
//
// The endpoint may carry a scheme instead of insecure: http://host:port for
// plain HTTP, https://host for TLS. Credentials never come from the URL.
func ParseURL(raw string) (Config, error) {
	const op = "blobstore s3 parse url"
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, rhizome.Errorf(op, rhizome.Invalid, "parse blob store url: %w", err)
	}
	if err := checkShape(u); err != nil {
		return Config{}, rhizome.Errorf(op, rhizome.Invalid, "check blob store url: %w", err)
	}
	q, err := singleValues(u.RawQuery)
	if err != nil {
		return Config{}, rhizome.Errorf(op, rhizome.Invalid, "check blob store url: %w", err)
	}
	cfg, err := fromQuery(u.Host, q)
	if err != nil {
		return Config{}, rhizome.Errorf(op, rhizome.Invalid, "check blob store url: %w", err)
	}
	return cfg, nil
}

// checkShape checks everything in the URL but its query: the scheme, the
// bucket in the host position, and no user, path or fragment.
func checkShape(u *url.URL) error {
	switch {
	case u.Scheme != "s3":
		return fmt.Errorf("scheme %q, want s3://bucket?endpoint=...", u.Scheme)
	case u.Opaque != "":
		return fmt.Errorf("want s3://bucket, not s3:%s", u.Opaque)
	case u.User != nil:
		return fmt.Errorf("credentials in the url: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead")
	case u.Path != "" && u.Path != "/":
		return fmt.Errorf("path %q: give a key prefix as prefix=..., not as a path", u.Path)
	case u.Fragment != "":
		return fmt.Errorf("fragment %q not allowed", u.Fragment)
	case u.Host == "":
		return fmt.Errorf("no bucket: want s3://bucket?endpoint=...")
	}
	if err := s3utils.CheckValidBucketNameStrict(u.Host); err != nil {
		return fmt.Errorf("bucket %q: %w", u.Host, err)
	}
	return nil
}

// singleValues parses a query and refuses unknown and repeated parameters.
func singleValues(raw string) (map[string]string, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("parse query: %w", err)
	}
	out := make(map[string]string, len(q))
	for k, vs := range q {
		switch k {
		case paramEndpoint, paramRegion, paramPrefix, paramInsecure, paramCreate:
		default:
			return nil, fmt.Errorf("unknown parameter %q (known: endpoint, region, prefix, insecure, create)", k)
		}
		if len(vs) != 1 {
			return nil, fmt.Errorf("parameter %q given %d times", k, len(vs))
		}
		out[k] = vs[0]
	}
	return out, nil
}

// fromQuery builds the Config of bucket from the query parameters.
func fromQuery(bucket string, q map[string]string) (Config, error) {
	cfg := Config{Bucket: bucket}
	var err error
	if cfg.Create, err = boolParam(q, paramCreate); err != nil {
		return Config{}, err
	}
	if cfg.Endpoint, cfg.Secure, err = parseEndpoint(q); err != nil {
		return Config{}, err
	}
	if cfg.Region, err = parseRegion(q[paramRegion]); err != nil {
		return Config{}, err
	}
	if cfg.Prefix, err = parsePrefix(q[paramPrefix]); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// boolParam parses an optional boolean parameter; absent is false.
func boolParam(q map[string]string, name string) (bool, error) {
	v, ok := q[name]
	if !ok {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", name, v)
	}
	return b, nil
}

// parseEndpoint returns the endpoint's host[:port] and whether to use TLS,
// from the endpoint parameter and insecure. A scheme in the endpoint and
// insecure must agree.
func parseEndpoint(q map[string]string) (string, bool, error) {
	raw, ok := q[paramEndpoint]
	if !ok || raw == "" {
		return "", false, fmt.Errorf("no endpoint: add endpoint=host:port")
	}
	insecure, err := boolParam(q, paramInsecure)
	if err != nil {
		return "", false, err
	}
	host, scheme, err := splitEndpoint(raw)
	if err != nil {
		return "", false, fmt.Errorf("endpoint %q: %w", raw, err)
	}
	_, insecureSet := q[paramInsecure]
	switch {
	case scheme == "http" && insecureSet && !insecure:
		return "", false, fmt.Errorf("endpoint %q is plain http but insecure=false", raw)
	case scheme == "https" && insecure:
		return "", false, fmt.Errorf("endpoint %q is https but insecure=true", raw)
	}
	return host, scheme != "http" && !insecure, nil
}

// splitEndpoint splits an endpoint into host[:port] and its scheme ("" if
// none), and checks the host part.
func splitEndpoint(raw string) (host, scheme string, err error) {
	host = raw
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, host = raw[:i], raw[i+3:]
		if scheme != "http" && scheme != "https" {
			return "", "", fmt.Errorf("scheme %q, want http or https", scheme)
		}
		host = strings.TrimSuffix(host, "/")
	}
	if err := checkHostPort(host); err != nil {
		return "", "", err
	}
	return host, scheme, nil
}

// checkHostPort checks that s is a host name or IP address with an
// optional port, and nothing else.
func checkHostPort(s string) error {
	if s == "" || strings.ContainsAny(s, "/?#@ \t") {
		return fmt.Errorf("want host or host:port")
	}
	host, port := s, ""
	if strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") {
		return fmt.Errorf("write an IPv6 address in brackets: [::1]:9000")
	}
	if strings.Contains(s, ":") {
		var err error
		if host, port, err = net.SplitHostPort(s); err != nil {
			return fmt.Errorf("want host or host:port: %w", err)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q: want 1 to 65535", port)
		}
	}
	if net.ParseIP(host) == nil && !s3utils.IsValidDomain(host) {
		return fmt.Errorf("host %q is neither an IP address nor a domain name", host)
	}
	return nil
}

// parseRegion checks an optional region name: lower-case letters, digits
// and '-'.
func parseRegion(s string) (string, error) {
	if len(s) > 64 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return "", fmt.Errorf("region %q: want a name such as us-east-1", s)
	}
	return s, nil
}

// parsePrefix checks an optional key prefix and makes it end in "/": a
// relative path of non-empty segments, none "." or "..", in printable
// ASCII.
func parsePrefix(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	p := strings.TrimSuffix(s, "/")
	if len(p) > maxPrefix {
		return "", fmt.Errorf("prefix longer than %d bytes", maxPrefix)
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("prefix %q: want segments like a/b, no empty, . or .. ones", s)
		}
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] >= 0x7f || p[i] == '\\' {
			return "", fmt.Errorf("prefix %q: byte %#x not allowed", s, p[i])
		}
	}
	return p + "/", nil
}

// Credentials are the keys the store signs its requests with.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string // optional, for temporary credentials
}

// String shows the access key ID only.
func (c Credentials) String() string { return "Credentials{" + c.AccessKeyID + ", secret redacted}" }

// GoString shows the access key ID only, also for %#v.
func (c Credentials) GoString() string { return c.String() }

// CredentialsFromEnv reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN. Both keys are required: the store never falls back to
// anonymous requests or to instance metadata.
func CredentialsFromEnv() (Credentials, error) {
	c := Credentials{
		AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return Credentials{}, rhizome.E("blobstore s3 credentials", rhizome.Invalid,
			"set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the S3 blob store")
	}
	return c, nil
}
