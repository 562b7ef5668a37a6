package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"acecoder/internal/cli"
	"acecoder/queue"
	"acecoder/rewards"
)

// TestSignalHelperProcess is not a test: the shutdown tests run the test
// binary with ACECODER_SIGNAL_HELPER set, and this runs the acecoder
// command line in ACECODER_SIGNAL_ARGS with the real binary's signal
// handling (cli.Main's: the first SIGTERM cancels the context).
func TestSignalHelperProcess(t *testing.T) {
	if os.Getenv("ACECODER_SIGNAL_HELPER") != "1" {
		t.Skip("helper process for the shutdown tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("ACECODER_SIGNAL_ARGS")), &args); err != nil {
		os.Exit(3)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() { <-ctx.Done(); stop() }()
	os.Exit(cli.Run(ctx, newRoot(), args, os.Stderr))
}

// startCommand runs an acecoder command line in a helper process and
// returns it with a reader of its stderr lines.
func startCommand(t *testing.T, args ...string) (*exec.Cmd, *bufio.Scanner, *strings.Builder) {
	t.Helper()
	data, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalHelperProcess$")
	cmd.Env = append(os.Environ(), "ACECODER_SIGNAL_HELPER=1", "ACECODER_SIGNAL_ARGS="+string(data))
	pr, pw := io.Pipe()
	var all strings.Builder
	cmd.Stderr = io.MultiWriter(pw, &all)
	cmd.Stdout = io.MultiWriter(pw, &all)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); pw.Close() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, bufio.NewScanner(pr), &all
}

// waitFor reads lines until one contains want.
func waitFor(t *testing.T, sc *bufio.Scanner, want string, within time.Duration) {
	t.Helper()
	found := make(chan bool, 1)
	go func() {
		for sc.Scan() {
			if strings.Contains(sc.Text(), want) {
				found <- true
				go func() { // keep draining so the child never blocks on stderr
					for sc.Scan() {
					}
				}()
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatalf("the command ended before printing %q", want)
		}
	case <-time.After(within):
		t.Fatalf("no %q within %s", want, within)
	}
}

// exitsWithin sends SIGTERM and waits for the process to end.
func exitsWithin(t *testing.T, cmd *exec.Cmd, out *strings.Builder, d time.Duration) {
	t.Helper()
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for time.Since(start) < d {
		if cmd.ProcessState != nil || syscall.Kill(cmd.Process.Pid, 0) != nil {
			t.Logf("exited %s after SIGTERM", time.Since(start).Round(time.Millisecond))
			return
		}
		if p, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)); err == nil && strings.Contains(string(p), ") Z ") {
			t.Logf("exited %s after SIGTERM", time.Since(start).Round(time.Millisecond))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("still running %s after SIGTERM:\n%s", d, out.String())
}

func needPython(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("needs /usr/bin/python3")
	}
	if testing.Short() {
		t.Skip("starts child processes; skipped with -short")
	}
}

// TestWorkerExitsAfterServerDies: the NATS server goes away first, then the
// worker gets SIGTERM; it must print its summary and exit within 5 s.
func TestWorkerExitsAfterServerDies(t *testing.T) {
	needPython(t)
	for _, busy := range []bool{false, true} {
		t.Run(map[bool]string{false: "idle", true: "busy sandbox"}[busy], func(t *testing.T) {
			srv, err := queue.StartServer(queue.ServerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cmd, sc, out := startCommand(t, "worker", "--nats", srv.URL(), "--exec-workers", "1", "--exec-timeout", "30s")
			waitFor(t, sc, "worker: kind exec", 30*time.Second)
			if busy { // a job that spins in the sandbox while the server dies
				nc, err := queue.Connect(queue.ConnOptions{URL: srv.URL()})
				if err != nil {
					t.Fatal(err)
				}
				c, err := queue.NewClient(context.Background(), nc, queue.ClientOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Submit(context.Background(), queue.KindExec,
					mustJobs(t, rewards.Job{ID: "spin", Program: "while True:\n    pass\n", Tests: []string{"assert 1 == 1"}})); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Second)
				nc.Close()
			}
			srv.Close()
			time.Sleep(3 * time.Second) // the worker is reconnecting now
			exitsWithin(t, cmd, out, 5*time.Second)
			t.Logf("worker output:\n%s", out.String())
			if !strings.Contains(out.String(), "results") {
				t.Errorf("no summary:\n%s", out.String())
			}
		})
	}
}

func mustJobs(t *testing.T, jobs ...rewards.Job) [][]byte {
	t.Helper()
	var out [][]byte
	for _, j := range jobs {
		b, err := json.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestExecAndServeRewardExitOnSIGTERM: exec with a program spinning in the
// sandbox, and serve-reward while it scores one, exit within 5 s of SIGTERM.
func TestExecAndServeRewardExitOnSIGTERM(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "jobs.jsonl")
	os.WriteFile(in, []byte(`{"id":1,"program":"while True:\n    pass\n","tests":["assert 1 == 1"]}`+"\n"), 0o644)
	t.Run("exec", func(t *testing.T) {
		cmd, sc, out := startCommand(t, "exec", "--in", in, "--out", filepath.Join(dir, "out.jsonl"), "--exec-timeout", "60s", "--exec-workers", "1")
		go func() {
			for sc.Scan() {
			}
		}()
		time.Sleep(3 * time.Second) // the runner starts and the program spins
		exitsWithin(t, cmd, out, 5*time.Second)
	})
	t.Run("serve-reward", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd, sc, out := startCommand(t, "serve-reward", "--addr", addr, "--exec-timeout", "60s", "--exec-workers", "1")
		go func() {
			for sc.Scan() {
			}
		}()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				break
			}
		}
		body := `{"query": ["<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n` + "```python\\nwhile True:\\n    pass\\n```" + `"], "prompts": ["<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n"], "labels": [["assert 1 == 1"]]}`
		go http.Post("http://"+addr, "application/json", strings.NewReader(body))
		time.Sleep(2 * time.Second)
		exitsWithin(t, cmd, out, 5*time.Second)
	})
}
