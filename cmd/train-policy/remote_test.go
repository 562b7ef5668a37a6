package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"acecoder/backend"
	"acecoder/data"
	"acecoder/policy"
	"acecoder/policy/chat"
	"acecoder/policy/tokenizer"
	"acecoder/rewards"
	"acecoder/rundir"
)

// rewardLog wraps a reward handler and keeps the rewards it answered, per
// request, with the queries' count.
type rewardLog struct {
	h       http.Handler
	mu      sync.Mutex
	rewards [][]float64
	queries int
}

func (l *rewardLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Query  []string          `json:"query"`
		Labels []json.RawMessage `json:"labels"`
	}
	json.Unmarshal(body, &req)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	l.h.ServeHTTP(rec, r)
	var resp struct {
		Rewards []float64 `json:"rewards"`
	}
	json.Unmarshal(rec.Body.Bytes(), &resp)
	l.mu.Lock()
	l.rewards = append(l.rewards, resp.Rewards)
	l.queries += len(req.Query)
	l.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// remoteFixture writes a tiny random policy (byte-level tokenizer, ChatML)
// and a reward model directory on it.
func remoteFixture(t *testing.T) (modelCfg, tokDir, rmDir string) {
	t.Helper()
	dir := t.TempDir()
	tok, err := tokenizer.NewByteLevel()
	if err != nil {
		t.Fatal(err)
	}
	tokDir = filepath.Join(dir, "tok")
	if err := tok.Save(tokDir); err != nil {
		t.Fatal(err)
	}
	js := []byte(`{"model_type": "qwen2", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
		"num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 272, "rms_norm_eps": 1e-6,
		"rope_theta": 10000, "tie_word_embeddings": true, "max_position_embeddings": 512}`)
	modelCfg = filepath.Join(dir, "config.json")
	os.WriteFile(modelCfg, js, 0o644)
	cfg, err := policy.ParseConfig(js)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := chat.ChatML()
	rm, err := rewards.NewRM(backend.MustOpenGo(), cfg, tok, tmpl, 5)
	if err != nil {
		t.Fatal(err)
	}
	w := make([]float32, cfg.HiddenSize)
	for i := range w {
		w[i] = float32((i*37)%11-5) * 20
	}
	if err := rm.SetHead(w, 0); err != nil {
		t.Fatal(err)
	}
	rmDir = filepath.Join(dir, "rm")
	if err := rm.Save(context.Background(), rmDir); err != nil {
		t.Fatal(err)
	}
	return modelCfg, tokDir, rmDir
}

// TestTrainPolicyRemote runs train-policy with reward: remote end to end
// against reward servers on loopback, built as serve-reward builds them:
// the fork's query-only protocol with the tests looked up in AceCode-87K
// rows, OpenRLHF's labelled shape, and a reward model. The rewards the
// run logs are the ones the servers answered.
func TestTrainPolicyRemote(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a policy and runs programs; skipped with -short")
	}
	rows := filepath.Join("..", "..", "testdata", "data", "acecode87k-rows.jsonl")
	modelCfg, tokDir, rmDir := remoteFixture(t)
	runner, err := rewards.NewRunner(context.Background(), rewards.RunnerOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Close()
	qs, err := data.LoadQuestionSet(context.Background(), []string{rows}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := rewards.LoadRM(context.Background(), backend.MustOpenGo(), rmDir, rewards.RMLoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		opts  rewards.RewardServerOptions
		flags []string
		rule  bool // the server executes tests (pass rates logged)
	}{
		{"query only, dataset", rewards.RewardServerOptions{Kind: rewards.RewardBinary, AllPassBonus: 0.5, Questions: qs},
			[]string{"--advantage-estimator", "rloo", "--loss-agg", "token_mean"}, true},
		{"labelled", rewards.RewardServerOptions{}, []string{"--remote-rm-labels", "--advantage-estimator", "group_norm"}, true},
		{"reward model", rewards.RewardServerOptions{RM: rm}, []string{"--normalize-reward", "--loss-agg", "token_mean"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &rewardLog{h: rewards.NewRewardHandler(runner, tc.opts)}
			a, b := httptest.NewServer(log), httptest.NewServer(log)
			defer a.Close()
			defer b.Close()
			out := filepath.Join(t.TempDir(), "run")
			args := append([]string{"-q", "--model-init-config", modelCfg, "--model-tokenizer", tokDir, "--model-chat-template", "plain",
				"--prompt-data", rows, "--reward", "remote", "--remote-rm-url", "rule:" + a.URL + "/get_reward," + b.URL + "/get_reward",
				"--n-samples-per-prompt", "2", "--rollout-batch-size", "2", "--train-batch-size", "4", "--micro-train-batch-size", "2",
				"--max-steps", "2", "--generate-max-len", "6", "--prompt-max-len", "256", "--save-steps", "0", "--exec-workers", "1",
				"--out-dir", out}, tc.flags...)
			if code, _, errs := run(args...); code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			checkRemoteRewards(t, out, log, tc.rule)
		})
	}
}

// checkRemoteRewards compares the run's reward/mean per step with the
// servers' answers: two requests (one per URL) of two queries per step.
func checkRemoteRewards(t *testing.T, out string, log *rewardLog, rule bool) {
	t.Helper()
	recs, err := rundir.ReadMetrics(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if log.queries != 8 || len(log.rewards) != 4 {
		t.Fatalf("servers saw %d queries in %d requests, want 8 in 4", log.queries, len(log.rewards))
	}
	// The two requests of a step run concurrently; their sum is what
	// matters for the step's mean.
	var steps []float64
	for _, r := range recs {
		if v, ok := r["reward/mean"]; ok {
			steps = append(steps, v)
			// pass rates reach the logs from the server's extra_logs.
			if _, ok := r["reward/pass_rate"]; ok != rule {
				t.Errorf("step %v: reward/pass_rate logged %v, want %v", r["step"], ok, rule)
			}
		}
	}
	var served []float64
	for _, rs := range log.rewards {
		if len(rs) != 2 {
			t.Fatalf("a request answered %v, want 2 rewards", rs)
		}
		served = append(served, rs...)
	}
	if !rule && served[0] == served[1] && served[1] == served[2] {
		t.Errorf("the reward model gave equal scores %v: the comparison below would prove little", served)
	}
	for s := range 2 {
		sum := 0.0
		for _, v := range served[4*s : 4*s+4] {
			sum += v
		}
		if len(steps) != 2 || math.Abs(steps[s]-sum/4) > 1e-5 {
			t.Errorf("step %d: logged reward/mean %v, servers answered %v", s+1, steps, served)
		}
	}
}
