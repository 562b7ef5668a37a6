package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"acecoder/internal/cli"
)

func TestBoardCommand(t *testing.T) {
	root := t.TempDir()
	run := filepath.Join(root, "rm")
	os.MkdirAll(run, 0o755)
	os.WriteFile(filepath.Join(run, "metrics.jsonl"), []byte(`{"step":1,"loss/bt":0.6}`+"\n"), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- cli.Run(ctx, newRoot(), []string{"board", root, "--addr", addr}, &strings.Builder{}) }()
	var body struct{ Runs []struct{ ID string } }
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/api/runs")
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("the board did not come up: %v", err)
		}
	}
	if len(body.Runs) != 1 || body.Runs[0].ID != "rm" {
		t.Errorf("runs %+v", body.Runs)
	}
	cancel()
	if code := <-done; code != cli.ExitOK {
		t.Errorf("exit %d after shutdown", code)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"board", filepath.Join(root, "none")}, "no such file"},
		{[]string{"board", root, "--addr", "0.0.0.0:0"}, "not a loopback address"},
		{[]string{"board", root, root}, "accepts at most 1 arg"},
	} {
		code, _, errs := runAcecoder(tc.args...)
		if code != cli.ExitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, errs)
		}
	}
}
