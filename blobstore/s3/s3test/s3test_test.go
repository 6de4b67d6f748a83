package s3test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestStart(t *testing.T) {
	var srv *Server
	t.Run("serves", func(t *testing.T) {
		srv = Start(t)
		url := srv.NewBucket(t)
		if !strings.HasPrefix(url, "s3://rhizome-") || !strings.Contains(url, "endpoint=http://127.0.0.1:") {
			t.Fatalf("URL = %q", url)
		}
		bucket := strings.TrimPrefix(url[:strings.IndexByte(url, '?')], "s3://")
		ok, err := srv.Client(t).BucketExists(t.Context(), bucket)
		if err != nil || !ok {
			t.Fatalf("BucketExists(%s) = %v, %v", bucket, ok, err)
		}
		if got := os.Getenv("AWS_ACCESS_KEY_ID"); got != srv.AccessKeyID {
			t.Fatalf("AWS_ACCESS_KEY_ID = %q, want the server's", got)
		}
		if env := strings.Join(srv.Env(), " "); !strings.Contains(env, "AWS_SECRET_ACCESS_KEY="+srv.SecretAccessKey) {
			t.Fatalf("Env() = %q", env)
		}
	})
	t.Run("fresh buckets", func(t *testing.T) {
		s := Start(t)
		if a, b := s.NewBucket(t), s.NewBucket(t); a == b {
			t.Fatalf("two NewBucket calls gave %q", a)
		}
		buckets, err := s.Client(t).ListBuckets(t.Context())
		if err != nil || len(buckets) != 2 {
			t.Fatalf("ListBuckets = %v, %v; want the 2 just made", buckets, err)
		}
	})
	t.Run("stopped at cleanup", func(t *testing.T) {
		if err := srv.cmd.Process.Signal(syscall.Signal(0)); err == nil {
			t.Fatalf("versitygw pid %d still running after its test ended", srv.cmd.Process.Pid)
		}
		if c, err := net.Dial("tcp", strings.TrimPrefix(srv.Endpoint, "http://")); err == nil {
			c.Close()
			t.Fatal("the stopped server's port still accepts connections")
		}
	})
}

func TestFindBinary_Missing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	_, err := findBinary()
	if err == nil || !strings.Contains(err.Error(), "run .ci/versitygw (make test does this)") ||
		!strings.Contains(err.Error(), filepath.Join(dir, ".bin", "versitygw")) {
		t.Fatalf("findBinary() err = %v, want one naming %s and .ci/versitygw", err, dir)
	}
}
