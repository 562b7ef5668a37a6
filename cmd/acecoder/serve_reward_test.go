package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/internal/cli"
	"acecoder/policy/tokenizer"
	"acecoder/rewards"
	"acecoder/rundir"
	"acecoder/trainer"
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

// TestTrainPolicyAgainstServeReward: the serve-reward command (the fork's
// query-only protocol over AceCode-87K-format rows) rewards a train-policy
// run of a tiny random policy end to end.
func TestTrainPolicyAgainstServeReward(t *testing.T) {
	needPython(t)
	rows := filepath.Join("..", "..", "testdata", "data", "acecode87k-rows.jsonl")
	url := startServeReward(t, "--dataset", rows, "--rule-reward", "binary", "--all-pass-bonus", "0.5", "--exec-workers", "1")
	dir := t.TempDir()
	tok, err := tokenizer.NewByteLevel()
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Save(filepath.Join(dir, "tok")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type": "qwen2", "hidden_size": 32, "intermediate_size": 64,
		"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 272, "rms_norm_eps": 1e-6,
		"rope_theta": 10000, "tie_word_embeddings": true, "max_position_embeddings": 512}`), 0o644)
	cfg := configs.DefaultPolicy()
	cfg.Model = configs.Model{InitConfig: filepath.Join(dir, "config.json"), Tokenizer: filepath.Join(dir, "tok"), ChatTemplate: "plain"}
	cfg.Reward, cfg.RemoteURL, cfg.PromptData = "remote", url, []string{rows}
	cfg.SamplesPerPrompt, cfg.RolloutBatchSize, cfg.TrainBatchSize, cfg.MicroBatchSize = 2, 2, 4, 4
	cfg.MaxSteps, cfg.GenerateMaxLen, cfg.PromptMaxLen, cfg.SaveSteps, cfg.LossAgg = 1, 6, 256, 0, "token_mean"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	run, err := rundir.Create(rundir.Options{Dir: filepath.Join(dir, "run"), Name: "p", Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	var steps []map[string]float64
	err = trainer.TrainPolicy(context.Background(), cfg, run, trainer.PolicyRunOptions{Quiet: true, Backend: backend.MustOpenGo(),
		Runner: noExec{t}, OnStep: func(_ int, m map[string]float64) { steps = append(steps, m) }})
	if err != nil {
		t.Fatal(err)
	}
	// serve-reward's extra_logs carry the pass rates the run logs.
	if len(steps) != 1 {
		t.Fatalf("%d steps, want 1", len(steps))
	}
	for _, k := range []string{"reward/mean", "reward/pass_rate"} {
		if _, ok := steps[0][k]; !ok {
			t.Errorf("%s not logged (the pass rate comes from the server's extra_logs): %v", k, steps[0])
		}
	}
}

// noExec fails a test that executes programs locally: remote rewards run
// them on the server.
type noExec struct{ t *testing.T }

func (n noExec) Run(context.Context, []rewards.Job) ([]rewards.Result, error) {
	n.t.Error("a program ran in the trainer with reward: remote")
	return nil, errors.New("no local execution here")
}
