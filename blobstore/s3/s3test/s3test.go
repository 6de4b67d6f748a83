package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const (
	// Region is the region the server reports and the URLs name.
	Region = "us-east-1"
	// binPath is where .ci/versitygw installs the server, from the root.
	binPath = ".bin/versitygw"
	// readyWithin bounds how long a server may take to answer.
	readyWithin = 20 * time.Second
	// stopWithin bounds how long a server may take to exit on SIGTERM.
	stopWithin = 5 * time.Second
	// startTries is how often Start tries a fresh port when the server
	// exits at once (another process took the port meanwhile).
	startTries = 3
)

// Server is a running versitygw.
type Server struct {
	Endpoint        string // http://127.0.0.1:port
	AccessKeyID     string
	SecretAccessKey string
	cmd             *exec.Cmd
	exited          chan struct{} // closed when the process has exited
	out             *syncBuffer   // its stdout and stderr
}

// creds are the random root credentials of every server of this process.
var creds = sync.OnceValue(func() [2]string { return [2]string{"rhz" + randHex(8), randHex(20)} })

// Start starts a versitygw on a free loopback port over a fresh directory,
// sets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and clears
// AWS_SESSION_TOKEN) for the test, waits until it answers, and stops it
// when the test ends. It fails the test if the binary is missing.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := binary(t)
	id, secret := creds()[0], creds()[1]
	t.Setenv("AWS_ACCESS_KEY_ID", id)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	var errs []error
	for range startTries {
		s, err := launch(t, bin, t.TempDir(), id, secret)
		if err == nil {
			return s
		}
		errs = append(errs, err)
	}
	t.Fatalf("start versitygw: %v", errors.Join(errs...))
	return nil
}

// URL starts a server and returns the URL of a fresh bucket on it.
func URL(t testing.TB) string {
	t.Helper()
	return Start(t).NewBucket(t)
}

// binary returns the path of the versitygw binary or fails the test.
func binary(t testing.TB) string {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// findBinary returns the path of the versitygw binary under the module
// root, or an error saying how to install it.
func findBinary() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", fmt.Errorf("find the module root for versitygw: %w", err)
	}
	bin := filepath.Join(root, binPath)
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
		return "", fmt.Errorf("no S3 test server at %s: run .ci/versitygw (make test does this)", bin)
	}
	return bin, nil
}

// moduleRoot walks up from the working directory to the one with go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// launch starts one server over dir on a free port and waits for it. If
// it fails to answer, launch stops it and returns why.
func launch(t testing.TB, bin, dir, id, secret string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s := &Server{Endpoint: "http://" + addr, AccessKeyID: id, SecretAccessKey: secret,
		exited: make(chan struct{}), out: &syncBuffer{}}
	s.cmd = exec.Command(bin, "--port", addr, "--quiet", "posix", dir)
	s.cmd.Env = serverEnv(id, secret)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = procAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; its output: %q", err, s.out.String())
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stop versitygw: %v", err)
		}
	})
	return s, nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// serverEnv is this process's environment without versitygw's own
// settings (VGW_*, ROOT_*), plus the root credentials.
func serverEnv(id, secret string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			env = append(env, kv)
		}
	}
	return append(env, "ROOT_ACCESS_KEY_ID="+id, "ROOT_SECRET_ACCESS_KEY="+secret)
}

// waitReady polls the server with a signed request until it answers, it
// exits, or readyWithin passes.
func (s *Server) waitReady() error {
	c, err := s.client()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(readyWithin)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err = c.ListBuckets(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("versitygw exited at start: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw did not answer within %v: %w", readyWithin, err)
		}
	}
}

// stop ends the server: SIGTERM, then SIGKILL if it lingers.
func (s *Server) stop() error {
	select {
	case <-s.exited:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopWithin):
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	return fmt.Errorf("no exit within %v of SIGTERM; killed", stopWithin)
}

// bucketSeq numbers the buckets of this process.
var bucketSeq atomic.Int64

// NewBucket creates a fresh, empty bucket and returns its blob store URL.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("rhizome-%d-%s", bucketSeq.Add(1), randHex(4))
	c := s.Client(t)
	if err := c.MakeBucket(t.Context(), name, minio.MakeBucketOptions{Region: Region}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return s.URL(name)
}

// URL returns the blob store URL of bucket on this server.
func (s *Server) URL(bucket string) string {
	return "s3://" + bucket + "?endpoint=" + s.Endpoint + "&region=" + Region
}

// Env returns the AWS_* environment entries a child process needs to
// reach this server.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + s.SecretAccessKey, "AWS_SESSION_TOKEN="}
}

// Client returns an S3 client of the server, for tests that look at the
// bucket behind a store's back.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := s.client()
	if err != nil {
		t.Fatalf("s3 client: %v", err)
	}
	return c
}

func (s *Server) client() (*minio.Client, error) {
	return minio.New(strings.TrimPrefix(s.Endpoint, "http://"), &minio.Options{
		Creds:        credentials.NewStaticV4(s.AccessKeyID, s.SecretAccessKey, ""),
		Region:       Region,
		BucketLookup: minio.BucketLookupPath,
	})
}

// randHex returns n random bytes in hex.
func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer is a bytes.Buffer safe for the process's two output streams.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
