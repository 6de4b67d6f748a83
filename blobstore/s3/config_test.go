package s3

import (
	"fmt"
	"strings"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		want      Config
	}{
		{"minimal", "s3://blobs?endpoint=s3.example.com",
			Config{Bucket: "blobs", Endpoint: "s3.example.com", Secure: true}},
		{"loopback insecure", "s3://blobs?endpoint=127.0.0.1:9000&region=us-east-1&insecure=true",
			Config{Bucket: "blobs", Endpoint: "127.0.0.1:9000", Region: "us-east-1"}},
		{"http scheme", "s3://blobs?endpoint=http://127.0.0.1:9000",
			Config{Bucket: "blobs", Endpoint: "127.0.0.1:9000"}},
		{"http scheme and insecure agree", "s3://blobs?endpoint=http://127.0.0.1:9000&insecure=true",
			Config{Bucket: "blobs", Endpoint: "127.0.0.1:9000"}},
		{"https scheme", "s3://blobs?endpoint=https://s3.example.com/&region=eu-west-3",
			Config{Bucket: "blobs", Endpoint: "s3.example.com", Secure: true, Region: "eu-west-3"}},
		{"escaped endpoint", "s3://blobs?endpoint=http%3A%2F%2F127.0.0.1%3A9000",
			Config{Bucket: "blobs", Endpoint: "127.0.0.1:9000"}},
		{"ipv6", "s3://blobs?endpoint=http://[::1]:9000",
			Config{Bucket: "blobs", Endpoint: "[::1]:9000"}},
		{"prefix gets a slash", "s3://blobs?endpoint=h.example&prefix=pods/one",
			Config{Bucket: "blobs", Endpoint: "h.example", Secure: true, Prefix: "pods/one/"}},
		{"prefix with slash", "s3://blobs?endpoint=h.example&prefix=pods/",
			Config{Bucket: "blobs", Endpoint: "h.example", Secure: true, Prefix: "pods/"}},
		{"create", "s3://my.blob-bucket?endpoint=h.example&create=true",
			Config{Bucket: "my.blob-bucket", Endpoint: "h.example", Secure: true, Create: true}},
		{"create false", "s3://blobs?endpoint=h.example&create=false",
			Config{Bucket: "blobs", Endpoint: "h.example", Secure: true}},
		{"trailing slash on bucket", "s3://blobs/?endpoint=h.example",
			Config{Bucket: "blobs", Endpoint: "h.example", Secure: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseURL(tc.url)
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tc.url, err)
			}
			if got != tc.want {
				t.Fatalf("ParseURL(%q) = %+v, want %+v", tc.url, got, tc.want)
			}
		})
	}
}

func TestParseURL_Rejects(t *testing.T) {
	long := strings.Repeat("p", maxPrefix+1)
	for _, tc := range []struct {
		name, url, says string
	}{
		{"not a url", "s3://blobs?endpoint=%zz", "parse"},
		{"other scheme", "file:///var/blobs", "scheme"},
		{"opaque", "s3:blobs?endpoint=h.example", "s3://bucket"},
		{"no bucket", "s3://?endpoint=h.example", "no bucket"},
		{"upper-case bucket", "s3://Blobs?endpoint=h.example", "bucket"},
		{"short bucket", "s3://ab?endpoint=h.example", "bucket"},
		{"ip bucket", "s3://192.168.1.1?endpoint=h.example", "bucket"},
		{"bucket with port", "s3://blobs:9000?endpoint=h.example", "bucket"},
		{"credentials", "s3://key:secret@blobs?endpoint=h.example", "AWS_ACCESS_KEY_ID"},
		{"path", "s3://blobs/some/prefix?endpoint=h.example", "prefix="},
		{"fragment", "s3://blobs?endpoint=h.example#x", "fragment"},
		{"no endpoint", "s3://blobs?region=us-east-1", "endpoint"},
		{"empty endpoint", "s3://blobs?endpoint=", "endpoint"},
		{"endpoint scheme", "s3://blobs?endpoint=ftp://h.example", "scheme"},
		{"endpoint path", "s3://blobs?endpoint=http://h.example/x", "host"},
		{"endpoint user", "s3://blobs?endpoint=http://u@h.example", "host"},
		{"endpoint port", "s3://blobs?endpoint=h.example:99999", "port"},
		{"endpoint empty port", "s3://blobs?endpoint=h.example:", "port"},
		{"endpoint bare ipv6", "s3://blobs?endpoint=::1", "brackets"},
		{"endpoint bad host", "s3://blobs?endpoint=h_x!.example", "host"},
		{"http but secure", "s3://blobs?endpoint=http://h.example&insecure=false", "insecure=false"},
		{"https but insecure", "s3://blobs?endpoint=https://h.example&insecure=true", "insecure=true"},
		{"bad insecure", "s3://blobs?endpoint=h.example&insecure=maybe", "insecure"},
		{"bad create", "s3://blobs?endpoint=h.example&create=yes", "create"},
		{"bad region", "s3://blobs?endpoint=h.example&region=US_EAST", "region"},
		{"unknown parameter", "s3://blobs?endpoint=h.example&regoin=us-east-1", "unknown parameter"},
		{"repeated parameter", "s3://blobs?endpoint=h.example&endpoint=g.example", "2 times"},
		{"absolute prefix", "s3://blobs?endpoint=h.example&prefix=/p", "segments"},
		{"dot-dot prefix", "s3://blobs?endpoint=h.example&prefix=a/../b", "segments"},
		{"empty segment prefix", "s3://blobs?endpoint=h.example&prefix=a//b", "segments"},
		{"control in prefix", "s3://blobs?endpoint=h.example&prefix=a%0Ab", "byte"},
		{"long prefix", "s3://blobs?endpoint=h.example&prefix=" + long, "longer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseURL(tc.url)
			if err == nil {
				t.Fatalf("ParseURL(%q) = %+v, want an error", tc.url, cfg)
			}
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("ParseURL(%q) err = %v, want kind Invalid", tc.url, err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("ParseURL(%q) err = %q, want it to mention %q", tc.url, err, tc.says)
			}
		})
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	t.Run("both keys", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "shh")
		t.Setenv("AWS_SESSION_TOKEN", "tok")
		c, err := CredentialsFromEnv()
		if err != nil || c != (Credentials{"AKID", "shh", "tok"}) {
			t.Fatalf("CredentialsFromEnv() = %v, %v", c, err)
		}
	})
	t.Run("secret missing", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		if _, err := CredentialsFromEnv(); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err = %v, want Invalid", err)
		}
	})
	t.Run("printing hides the secret", func(t *testing.T) {
		c := Credentials{"AKID", "hunter2", "tok3n"}
		for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
			if strings.Contains(s, "hunter2") || strings.Contains(s, "tok3n") || !strings.Contains(s, "AKID") {
				t.Fatalf("printed as %q", s)
			}
		}
	})
}
