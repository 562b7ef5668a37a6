package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"acecoder/internal/cli"
)

// startServeReward runs serve-reward in process on a free loopback port
// and returns its /get_reward URL; the server stops when the test ends.
func startServeReward(t *testing.T, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		root := newRoot()
		root.SetOut(io.Discard)
		root.SetErr(&errb)
		done <- cli.Run(ctx, root, append([]string{"serve-reward", "--addr", addr}, args...), &errb)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve-reward exit %d: %s", code, errb.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr + "/get_reward"
		}
		select {
		case code := <-done:
			t.Fatalf("serve-reward exit %d: %s", code, errb.String())
		default:
		}
	}
	t.Fatal("serve-reward did not listen")
	return ""
}

// TestServeRewardForkProtocol: the fork's query-only request against a
// dataset of AceCode-87K-format rows, queries rendered as a Qwen2.5 and a
// Llama 3 policy render them, binary reward with the fork's 0.5 bonus.
func TestServeRewardForkProtocol(t *testing.T) {
	needPython(t)
	rows := filepath.Join("..", "..", "testdata", "data", "acecode87k-rows.jsonl")
	url := startServeReward(t, "--dataset", rows, "--rule-reward", "binary", "--all-pass-bonus", "0.5", "--exec-workers", "1")
	qwen := func(q, a string) string {
		return "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n" + q +
			"<|im_end|>\n<|im_start|>assistant\n" + a + "<|im_end|>"
	}
	llama := func(q, a string) string {
		return "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n" + q + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" + a + "<|eot_id|>"
	}
	queries := []string{
		qwen("Write a function `double(x)` that returns twice the integer `x`.", "```python\ndef double(x):\n    return 2 * x\n```"),
		qwen("Write a function `double(x)` that returns twice the integer `x`.", "```python\ndef double(x):\n    return x + 2\n```"),
		llama("Write a function `neg(x)` that returns `-x`.", "Here:\n```python\ndef neg(x):\n    return -x\n```"),
		qwen("Write a function `is_even(n)` that returns True when the integer `n` is even.", "def is_even(n):\n    return n % 2 == 0"),
	}
	code, body := postJSON(t, url, map[string]any{"query": queries})
	var resp struct {
		Rewards []float64 `json:"rewards"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &resp) != nil {
		t.Fatalf("status %d: %s", code, body)
	}
	if diff := cmp.Diff([]float64{1.5, 0, 1.5, 1.5}, resp.Rewards); diff != "" {
		t.Errorf("rewards (-want +got):\n%s", diff)
	}
	code, body = postJSON(t, url, map[string]any{"query": []string{queries[0], qwen("Write a function `triple(x)`.", "")}})
	if code != http.StatusBadRequest || !strings.Contains(body, "1 of 2 queries ask a question that is not in the dataset") {
		t.Errorf("unknown question: status %d, body %s", code, body)
	}
}

func postJSON(t *testing.T, url string, v any) (int, string) {
	t.Helper()
	raw, _ := json.Marshal(v)
	resp, err := http.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeRewardUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing dataset", []string{"--dataset", "/nonexistent/rows.jsonl"}, "--dataset"},
		{"reward model and dataset", []string{"--dataset", "x.jsonl", "--reward-pretrain", "dir"}, "give one"},
		{"unknown reward", []string{"--rule-reward", "half"}, "unknown reward kind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runAcecoder(append([]string{"serve-reward", "--addr", "127.0.0.1:0"}, tc.args...)...)
			if code != cli.ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q: want %d naming %q", code, errs, cli.ExitUsage, tc.want)
			}
		})
	}
}

// The queue carries exec jobs only: another kind is a usage error that
// points to serve-reward, before any connection is tried.
func TestWorkerServesExecOnly(t *testing.T) {
	code, _, errs := runAcecoder("worker", "--nats", "nats://127.0.0.1:1", "--kind", "rm-score")
	if code != cli.ExitUsage || !strings.Contains(errs, "serve-reward --reward-pretrain") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
