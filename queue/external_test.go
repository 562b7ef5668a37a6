package queue

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

const natsServerModule = "github.com/nats-io/nats-server/v2@v2.15.2"

var natsServerBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// natsServerBinary installs nats-server from the Go module proxy (or the
// module cache) into a temp GOBIN once per test binary, or skips the test.
func natsServerBinary(t *testing.T) string {
	t.Helper()
	b := &natsServerBuild
	b.once.Do(func() {
		gobin, err := os.MkdirTemp("", "acecoder-nats-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.dir = gobin
		cmd := exec.Command("go", "install", natsServerModule)
		cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=", "GOEXPERIMENT=", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go install %s: %v\n%s", natsServerModule, err, out)
			return
		}
		b.path = filepath.Join(gobin, "nats-server")
	})
	if b.err != nil {
		t.Skipf("cannot build an external nats-server: %v", b.err)
	}
	return b.path
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startExternalServer runs nats-server with JetStream as a separate process
// on a free loopback port and returns its URL.
func startExternalServer(t *testing.T) string {
	t.Helper()
	bin := natsServerBinary(t)
	port := freePort(t)
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-js", "-sd", t.TempDir())
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nats-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		nc, err := Connect(ConnOptions{URL: url, Timeout: time.Second})
		if err == nil {
			nc.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server on %s not ready: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestWorkerSIGKILLExternalServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and runs 10,000 jobs; skipped with -short")
	}
	for _, tc := range crashCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			tc.cc.url = startExternalServer(t)
			runCrashCase(t, tc.cc)
		})
	}
}
