package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"acecoder/internal/cli"
	"acecoder/queue"
	"acecoder/rewards"
)

func TestWorkerNeedsURL(t *testing.T) {
	code, _, errs := runAcecoder("worker")
	if code != cli.ExitUsage || !strings.Contains(errs, "--nats") {
		t.Fatalf("exit %d, stderr %q: want a usage error naming --nats", code, errs)
	}
}

func TestWorkerRunsExecJobs(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("exec jobs need /usr/bin/python3")
	}
	srv, err := queue.StartServer(queue.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wctx, stop := context.WithCancel(ctx)
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		root := newRoot()
		root.SetErr(&errb)
		done <- cli.Run(wctx, root, []string{"worker", "--nats", srv.URL(), "--slots", "1", "--name", "w1"}, &errb)
	}()
	nc, err := queue.Connect(queue.ConnOptions{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c, err := queue.NewClient(ctx, nc, queue.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	jobs := []rewards.Job{
		{ID: "ok", Program: "def f(x):\n    return x + 1\n", Tests: []string{"assert f(1) == 2", "assert f(2) == 3"}},
		{ID: "bad", Program: "def f(x):\n    return x\n", Tests: []string{"assert f(1) == 2"}},
	}
	res, err := queue.NewExecutor(c).Run(ctx, jobs)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Passed != 2 || res[1].Passed != 0 || res[1].Total != 1 {
		out, _ := json.Marshal(res)
		t.Errorf("results %s", out)
	}
	stop()
	if code := <-done; code != cli.ExitOK {
		t.Errorf("worker exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "2 results") {
		t.Errorf("worker log lacks its stats: %q", errb.String())
	}
}
