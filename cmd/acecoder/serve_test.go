package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"acecoder/internal/cli"
)

// The command loads a model directory and serves it under
// --served-model-name until its context ends; the protocol itself is
// tested in package serve.
func TestServeCommand(t *testing.T) {
	dir := rolloutModelDir(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, newRoot(), []string{"serve", "--model_path", dir, "--addr", addr, "--served-model-name", "coder",
			"--generate-max-len", "4"}, &stderr)
	}()
	var models struct{ Data []struct{ ID string } }
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/v1/models")
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&models)
			resp.Body.Close()
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("the server did not come up: %v", err)
		}
	}
	if len(models.Data) != 1 || models.Data[0].ID != "coder" {
		t.Errorf("models %+v", models)
	}
	resp, err := http.Post("http://"+addr+"/v1/completions", "application/json", strings.NewReader(`{"model":"coder","prompt":"a"}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("completion: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if code := <-done; code != cli.ExitOK {
		t.Errorf("exit %d after shutdown: %s", code, stderr.String())
	}
}

func TestServeCommandRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no model", []string{"serve"}, "--model-path DIR is required"},
		{"missing model", []string{"serve", "--model-path", "/no/such/model"}, "--model-path /no/such/model: no such file"},
		{"remote address", []string{"serve", "--model-path", ".", "--addr", "0.0.0.0:0"}, "not a loopback address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runAcecoder(tc.args...)
			if code != cli.ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q: want %d naming %q", code, errs, cli.ExitUsage, tc.want)
			}
		})
	}
}

func TestServeListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "8.8.8.8:80", "nohost"} {
		if ln, err := listen(addr, false); err == nil {
			ln.Close()
			t.Errorf("listen(%q) accepted a non-loopback address", addr)
		}
	}
	ln, err := listen("localhost:0", false)
	if err != nil {
		t.Fatalf("listen on localhost: %v", err)
	}
	ln.Close()
}
