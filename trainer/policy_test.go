package trainer

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"acecoder/backend"
	"acecoder/policy"
	"acecoder/policy/chat"
	"acecoder/policy/tokenizer"
	"acecoder/rewards"
	"acecoder/rollout"
	"acecoder/trainer/optim"
)

// A learnable RL task whose reward comes from real Python asserts: the
// policy answers "Pick a digit." with a one-line program "x=K". The tests
// below pass most often for x = 7 (all 5) and least for x ≤ 4 (2 of 5),
// so a uniform policy earns a pass rate of 0.58 and the optimum is 1.
var digitTests = []string{"assert x >= 5", "assert x >= 6", "assert x >= 7", "assert x <= 7", "assert x <= 8"}

const digitQuestion = "Pick a digit."

// tinyTextModel builds a small random Qwen2-style model with the untrained
// byte-level tokenizer (256 bytes + ChatML tokens) and the ChatML template.
func tinyTextModel(t *testing.T, seed uint64) *policy.TextModel {
	t.Helper()
	tok, err := tokenizer.NewByteLevel()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := policy.ParseConfig([]byte(`{"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128,
		"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 272,
		"rms_norm_eps": 1e-6, "rope_theta": 10000, "tie_word_embeddings": true, "max_position_embeddings": 256}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := policy.New(backend.MustOpenGo(), cfg, policy.InitOptions{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := chat.ChatML()
	if err != nil {
		t.Fatal(err)
	}
	return &policy.TextModel{Text: policy.Text{Tok: tok, Template: tmpl}, Model: m, TemplateSpec: "plain"}
}

// sftDigits teaches the "x=K" format with K uniform over 0..9.
func sftDigits(t *testing.T, tm *policy.TextModel, steps int) {
	t.Helper()
	prompt, err := tm.ChatPrompt([]chat.Message{{"role": "user", "content": digitQuestion}}, "")
	if err != nil {
		t.Fatal(err)
	}
	var ex []SFTExample
	for k := range 10 {
		for range 4 {
			ex = append(ex, SFTExample{Prompt: prompt, Response: append(tm.Encode("x="+string(rune('0'+k))), tm.StopIDs()[0])})
		}
	}
	sched := optim.Schedule{Peak: 3e-3, Warmup: 5, Total: steps, MinRatio: 0.1, Kind: "cosine"}
	st, err := NewSFTTrainer(tm, optim.DefaultAdamW(), ex, 20, 20, 1, sched)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]float64
	for range steps {
		if m, err = st.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Ten equally likely answers of 3 tokens + stop: the best mean NLL per
	// response token is ln(10)/4 ≈ 0.58.
	if m["loss/sft"] > 0.8 {
		t.Fatalf("SFT did not learn the format: loss %.3f", m["loss/sft"])
	}
}

func digitPrompts(tm *policy.TextModel, n int) []Prompt {
	ids, _ := tm.ChatPrompt([]chat.Message{{"role": "user", "content": digitQuestion}}, "")
	ps := make([]Prompt, n)
	for i := range ps {
		ps[i] = Prompt{ID: "digit", Question: digitQuestion, Tests: digitTests, IDs: ids}
	}
	return ps
}

func digitSettings(tm *policy.TextModel, est Estimator, rollouts int) PolicySettings {
	return PolicySettings{
		SamplesPerPrompt: 8, RolloutBatchSize: 8, TrainBatchSize: 16, MicroBatchSize: 16, MaxEpochs: 1,
		EpsClip: 0.2, Seed: 5,
		Sampling: rollout.Options{Sampling: rollout.Sampling{Temperature: 1, TopP: 1, ValidVocab: tm.Tok.VocabSize()},
			MaxNewTokens: 6, StopIDs: tm.StopIDs(), BatchSize: 64},
		Advantage: AdvantageOptions{Estimator: est, KL: K1, Beta: 0.01, Gamma: 1, ClipLo: -10, ClipHi: 10},
		Schedule:  optim.Schedule{Peak: 1.5e-3, Warmup: 1, Total: 4 * rollouts, MinRatio: 1, Kind: "constant"},
	}
}

func newTestRunner(t *testing.T) *rewards.Runner {
	t.Helper()
	r, err := rewards.NewRunner(context.Background(), rewards.RunnerOptions{Workers: 2, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("sandboxed runner: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// trainDigits runs RL steps and returns the mean pass rate and the mean
// reward of the first two and of the last two rollouts.
func trainDigits(t *testing.T, tm *policy.TextModel, rw Rewarder, est Estimator, steps int) (first, last, firstReward, lastReward float64) {
	t.Helper()
	ref := tinyTextModel(t, 0).Model
	copyWeights(t, tm.Model, ref)
	tr, err := NewPolicyTrainer(tm, ref, rw, optim.DefaultAdamW(), digitSettings(tm, est, steps), digitPrompts(tm, 16))
	if err != nil {
		t.Fatal(err)
	}
	var rs, rw2 []float64
	for s := range steps {
		m, err := tr.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, m["reward/pass_rate"])
		rw2 = append(rw2, m["reward/mean"])
		t.Logf("step %d: pass rate %.3f reward %.3f kl %.4f clip %.3f len %.1f", s+1, m["reward/pass_rate"], m["reward/mean"], m["kl/reward_k"], m["policy/clip_frac"], m["rollout/response_length"])
	}
	n := len(rs)
	return (rs[0] + rs[1]) / 2, (rs[n-1] + rs[n-2]) / 2, (rw2[0] + rw2[1]) / 2, (rw2[n-1] + rw2[n-2]) / 2
}

func copyWeights(t *testing.T, from, to *policy.Model) {
	t.Helper()
	for _, p := range from.Config.Params() {
		vals, _, err := from.Weight(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		if err := to.SetWeight(p.Name, vals); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	sftOnce  sync.Once
	sftModel *policy.TextModel
)

// digitPolicy returns a fresh copy of one shared SFT'd digit policy (in its
// own store, as when train-policy loads the SFT output directory).
func digitPolicy(t *testing.T) *policy.TextModel {
	t.Helper()
	sftOnce.Do(func() {
		sftModel = tinyTextModel(t, 1)
		sftDigits(t, sftModel, 60)
	})
	tm := tinyTextModel(t, 2)
	copyWeights(t, sftModel.Model, tm.Model)
	return tm
}

func TestReinforcePPRuleRewardLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test")
	}
	tm := digitPolicy(t)
	runner := newTestRunner(t)
	first, last, _, _ := trainDigits(t, tm, RuleRewarder{Runner: runner, Kind: rewards.RewardPassRate, Timeout: 2 * time.Second}, Reinforce, 14)
	t.Logf("pass rate: first rollouts %.3f, last rollouts %.3f", first, last)
	if last < first+0.15 || last < 0.8 {
		t.Errorf("mean pass rate went from %.3f to %.3f; want a clear rise to >= 0.8", first, last)
	}
}

func TestExtractedDigitProgramsRunInSandbox(t *testing.T) {
	runner := newTestRunner(t)
	rw := RuleRewarder{Runner: runner, Kind: rewards.RewardPassRate, Timeout: 2 * time.Second}
	p := &Prompt{ID: "d", Tests: digitTests}
	got, err := rw.Reward(context.Background(), []RewardItem{{p, "x=7"}, {p, "x=2"}, {p, "x="}, {p, "```python\nx = 6\n```"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 0.4, 0, 0.8}
	for i := range want {
		if math.Abs(got[i].Reward-want[i]) > 1e-9 {
			t.Errorf("item %d: reward %v, want %v", i, got[i].Reward, want[i])
		}
	}
	if !got[0].AllPassed || got[1].AllPassed {
		t.Errorf("all-passed flags wrong: %+v", got)
	}
}

// digitPairs are preference pairs ordered by the digit tests' pass rate
// (7: 1.0; 6, 8: 0.8; 5, 9: 0.6; 0-4: 0.4), kept where the gap is >= 0.4
// as AceCoder's rule keeps them (no pair has a broken program, pass rate
// 0, as the rejected side).
func digitPairs() []Pair {
	rate := func(k int) float64 {
		passed := 0
		for _, ok := range []bool{k >= 5, k >= 6, k >= 7, k <= 7, k <= 8} {
			if ok {
				passed++
			}
		}
		return float64(passed) / 5
	}
	var ps []Pair
	for c := range 10 {
		for r := range 10 {
			if rate(c)-rate(r) >= 0.4-1e-9 {
				ps = append(ps, Pair{ID: fmt.Sprintf("%d>%d", c, r), Prompt: digitQuestion,
					Chosen: fmt.Sprintf("x=%d", c), Rejected: fmt.Sprintf("x=%d", r)})
			}
		}
	}
	return ps
}

// The RM variant: a reward model trained with the Bradley-Terry trainer on
// pass-rate-ordered pairs replaces the tests as the reward; the tests still
// measure what the policy learned.
func TestReinforcePPRMRewardLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test")
	}
	tm := digitPolicy(t)
	rmBase := tinyTextModel(t, 4)
	rm, err := rewards.NewRM(backend.MustOpenGo(), rmBase.Model.Config, rmBase.Tok, rmBase.Template, 4)
	if err != nil {
		t.Fatal(err)
	}
	rm.MaxLength, rm.BatchSize = 64, 32
	ex, _, err := TokenizePairs(rm, digitPairs(), false)
	if err != nil {
		t.Fatal(err)
	}
	steps := 40
	rt, err := NewRMTrainer(rm, optim.DefaultAdamW(), RMSettings{BatchSize: 16, MicroBatchSize: 16, Seed: 1,
		Schedule: optim.Schedule{Peak: 2e-3, Warmup: 2, Total: steps, MinRatio: 0.1, Kind: "cosine"}}, ex, ex)
	if err != nil {
		t.Fatal(err)
	}
	for range steps {
		if _, err := rt.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	m, err := rt.Evaluate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("reward model pair accuracy %.3f", m["eval/accuracy"])
	if m["eval/accuracy"] < 0.9 {
		t.Fatalf("reward model did not learn the pairs: accuracy %.3f", m["eval/accuracy"])
	}
	runner := newTestRunner(t)
	rule := &RuleRewarder{Runner: runner, Kind: rewards.RewardPassRate, Timeout: 2 * time.Second}
	first, last, r0, r1 := trainDigits(t, tm, RMRewarder{RM: rm, Runner: rule}, Reinforce, 14)
	// The policy optimises the reward model's score. Whether the tests'
	// pass rate follows depends on how well the reward model generalises:
	// with pairs of valid programs only, this tiny reward model also scores
	// some broken programs high and the policy drifts to them (reward
	// hacking, the failure the paper reports for RM-based RL). The pass rate
	// is logged, not asserted.
	t.Logf("reward-model score: first rollouts %.3f, last rollouts %.3f; pass rate %.3f -> %.3f", r0, r1, first, last)
	if r1 < r0+0.5 {
		t.Errorf("mean reward-model score went from %.3f to %.3f; want a clear rise (>= 0.5)", r0, r1)
	}
}
