package queue

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"acecoder/rewards"
)

// Environment of a worker process started by the tests.
const (
	envWorkerURL   = "ACECODER_QUEUE_TEST_WORKER_URL"
	envWorkerSlots = "ACECODER_QUEUE_TEST_WORKER_SLOTS"
	envWorkerSleep = "ACECODER_QUEUE_TEST_WORKER_SLEEP"
	envWorkerName  = "ACECODER_QUEUE_TEST_WORKER_NAME"
	envWorkerAck   = "ACECODER_QUEUE_TEST_WORKER_ACKWAIT"
	envWorkerExec  = "ACECODER_QUEUE_TEST_WORKER_EXEC" // runner workers; "" runs digestHandler
)

// TestMain turns the test binary into a worker process when envWorkerURL is
// set, so tests can run real workers and SIGKILL them.
func TestMain(m *testing.M) {
	if url := os.Getenv(envWorkerURL); url != "" {
		if err := workerProcess(url); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if natsServerBuild.dir != "" {
		_ = os.RemoveAll(natsServerBuild.dir)
	}
	os.Exit(code)
}

func workerProcess(url string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	slots, _ := strconv.Atoi(os.Getenv(envWorkerSlots))
	sleep, _ := time.ParseDuration(os.Getenv(envWorkerSleep))
	ackWait, _ := time.ParseDuration(os.Getenv(envWorkerAck))
	nc, err := Connect(ConnOptions{URL: url, Name: os.Getenv(envWorkerName)})
	if err != nil {
		return err
	}
	defer nc.Close()
	h := digestHandler(sleep)
	if n, _ := strconv.Atoi(os.Getenv(envWorkerExec)); n > 0 {
		r, err := rewards.NewRunner(ctx, rewards.RunnerOptions{Workers: n, Timeout: 4 * time.Second})
		if err != nil {
			return err
		}
		defer r.Close()
		h = ExecHandler(r)
	}
	w, err := NewWorker(ctx, nc, WorkerOptions{
		Kind: KindExec, Slots: slots, Name: os.Getenv(envWorkerName),
		Handler: h, Config: testConfig(ackWait),
	})
	if err != nil {
		return err
	}
	fmt.Println("ready")
	return w.Run(ctx)
}

// testConfig is the delivery configuration shared by tests and their
// worker processes.
func testConfig(ackWait time.Duration) KindConfig {
	if ackWait <= 0 {
		ackWait = 2 * time.Second
	}
	return KindConfig{AckWait: ackWait, MaxDeliver: 5}
}

// digestHandler answers a payload with its SHA-256 in hex, after sleeping.
func digestHandler(sleep time.Duration) Handler {
	return HandlerFunc(func(ctx context.Context, p []byte) ([]byte, error) {
		if sleep > 0 {
			select {
			case <-time.After(sleep):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return []byte(digest(p)), nil
	})
}

func digest(p []byte) string {
	s := sha256.Sum256(p)
	return hex.EncodeToString(s[:])
}

// workerProc is a worker process started from the test binary.
type workerProc struct {
	cmd  *exec.Cmd
	name string
}

// startWorkerProc re-executes the test binary as a worker on url and
// waits until it is consuming.
func startWorkerProc(t *testing.T, url, name string, slots, runners int, sleep, ackWait time.Duration) *workerProc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(),
		envWorkerURL+"="+url, envWorkerSlots+"="+strconv.Itoa(slots), envWorkerName+"="+name,
		envWorkerSleep+"="+sleep.String(), envWorkerAck+"="+ackWait.String(), envWorkerExec+"="+strconv.Itoa(runners))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start worker %s: %v", name, err)
	}
	p := &workerProc{cmd: cmd, name: name}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("worker %s did not start: %q %v", name, line, err)
	}
	return p
}
