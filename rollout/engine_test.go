package rollout

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"acecoder/backend"
	"acecoder/policy"
)

// tinyEngine is a random tiny Qwen2 (d128, 4 layers, V512) with weights
// wide enough (std 0.1) that next-token logits are well separated.
func tinyEngine(t testing.TB) *Engine { return engineFor(t, "tiny-qwen2", nil) }

// engineFor builds an engine over a random model of testdata/models/name,
// its config changed by edit when given.
func engineFor(t testing.TB, name string, edit func(*policy.Config)) *Engine {
	t.Helper()
	cfg, err := policy.LoadConfig(filepath.Join("..", "testdata", "models", name, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(cfg)
	}
	m, err := policy.New(backend.MustOpenGo(), cfg, policy.InitOptions{Seed: 3, Std: 0.1, PerturbAll: true})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func prompts(lens ...int) [][]int32 {
	var out [][]int32
	for i, n := range lens {
		p := make([]int32, n)
		for j := range p {
			p[j] = int32((i*97 + j*31 + 5) % 500)
		}
		out = append(out, p)
	}
	return out
}

// fullLogProbs scores seq with the policy's full forward: log p(seq[i] |
// seq[<i]) for i ≥ 1, and the full-forward logits of every position.
func fullLogProbs(t *testing.T, m *policy.Model, seq []int32) ([]float32, [][]float32) {
	t.Helper()
	b := policy.LeftPad([][]int32{seq}, 0)
	lp, err := m.NextTokenLogProbs(b)
	if err != nil {
		t.Fatal(err)
	}
	flat, err := tensors.CopyFlatData[float32](lp)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := m.SequenceLogits([][]int32{seq})
	if err != nil {
		t.Fatal(err)
	}
	return flat, logits[0]
}

func TestGreedyEqualsStepwiseArgmaxOfFullForward(t *testing.T) {
	e := tinyEngine(t)
	ps := prompts(3, 11, 20)
	var reqs []Request
	for _, p := range ps {
		reqs = append(reqs, Request{PromptIDs: p, N: 1})
	}
	got, err := e.Generate(context.Background(), reqs, Options{MaxNewTokens: 12, BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	minGap := math.Inf(1)
	for i, p := range ps {
		seq := slices.Clone(p)
		for range 12 {
			logits, err := e.Model().SequenceLogits([][]int32{seq})
			if err != nil {
				t.Fatal(err)
			}
			last := logits[0][len(seq)-1]
			best := argmax(last)
			for id, v := range last {
				if int32(id) != best {
					minGap = math.Min(minGap, float64(last[best]-v))
				}
			}
			seq = append(seq, best)
		}
		if d := slices.Compare(got[i].CompletionIDs, seq[len(p):]); d != 0 {
			t.Errorf("prompt %d: greedy %v, full-forward argmax %v", i, got[i].CompletionIDs, seq[len(p):])
		}
		if got[i].FinishReason != FinishLength {
			t.Errorf("prompt %d: finish %q, want length", i, got[i].FinishReason)
		}
	}
	t.Logf("smallest top-1/top-2 logit gap along the greedy paths: %.3g", minGap)
}

func TestLogProbsEqualFullForward(t *testing.T) {
	e := tinyEngine(t)
	ps := prompts(5, 16, 9)
	opts := Options{Sampling: Sampling{Temperature: 0.7, TopK: 40}, MaxNewTokens: 20, BatchSize: 8, Seed: 9}
	var reqs []Request
	for _, p := range ps {
		reqs = append(reqs, Request{PromptIDs: p, N: 2})
	}
	got, err := e.Generate(context.Background(), reqs, opts)
	if err != nil {
		t.Fatal(err)
	}
	worst, worstQ := 0.0, 0.0
	for _, s := range got {
		seq := append(slices.Clone(s.PromptIDs), s.CompletionIDs...)
		raw, logits := fullLogProbs(t, e.Model(), seq)
		for i, id := range s.CompletionIDs {
			pos := len(s.PromptIDs) + i
			worst = math.Max(worst, math.Abs(float64(s.RawLogProbs[i]-raw[pos])))
			q := refDistribution(logits[pos-1], opts.Sampling)
			worstQ = math.Max(worstQ, math.Abs(float64(s.LogProbs[i])-math.Log(q[id])))
			if !s.GeneratedMask[i] {
				t.Errorf("sample %d/%d token %d: masked as forced", s.PromptIndex, s.SampleIndex, i)
			}
		}
	}
	if worst > 1e-5 || worstQ > 1e-5 {
		t.Errorf("max |raw log-prob − full forward| = %.3g, max |sampling log-prob − reference| = %.3g; want ≤ 1e-5", worst, worstQ)
	}
	t.Logf("max deviation: raw %.3g, sampling %.3g", worst, worstQ)
}

// TestPolicyLogProbsEqualFullForward: the sampler's PolicyLogProbs (log
// π_old, which the RL trainer reuses instead of a scoring pass) match the
// tempered log-probs of a full forward of each finished sequence, the
// computation the update graph differentiates, up to float32 rounding.
func TestPolicyLogProbsEqualFullForward(t *testing.T) {
	e := tinyEngine(t)
	const temp = 0.7
	var reqs []Request
	for _, p := range prompts(4, 13, 5) {
		reqs = append(reqs, Request{PromptIDs: p, N: 3})
	}
	got, err := e.Generate(context.Background(), reqs, Options{Sampling: Sampling{Temperature: temp, TopP: 0.9},
		MaxNewTokens: 24, BatchSize: 8, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for _, s := range got {
		seq := append(slices.Clone(s.PromptIDs), s.CompletionIDs...)
		lp, err := e.Model().TemperedLogProbs(policy.LeftPad([][]int32{seq}, 0), temp)
		if err != nil {
			t.Fatal(err)
		}
		full := tensors.MustCopyFlatData[float32](lp)
		if len(s.PolicyLogProbs) != len(s.CompletionIDs) {
			t.Fatalf("%d policy log-probs for %d tokens", len(s.PolicyLogProbs), len(s.CompletionIDs))
		}
		for i := range s.CompletionIDs {
			worst = math.Max(worst, math.Abs(s.PolicyLogProbs[i]-float64(full[len(s.PromptIDs)+i])))
		}
	}
	if worst > 2e-5 {
		t.Errorf("max |policy log-prob − full forward tempered log-prob| = %.3g, want ≤ 2e-5", worst)
	}
	t.Logf("max deviation %.3g over %d samples", worst, len(got))
}

func TestMixedBatchEqualsEachPromptAlone(t *testing.T) {
	e := tinyEngine(t)
	ps := prompts(2, 23, 7, 40)
	opts := Options{Sampling: Sampling{Temperature: 1, TopP: 0.95}, MaxNewTokens: 24, BatchSize: 4, Seed: 5, Step: 2,
		StopIDs: []int32{7, 8, 9}}
	var reqs []Request
	for _, p := range ps {
		reqs = append(reqs, Request{PromptIDs: p, N: 3})
	}
	batched, err := e.Generate(context.Background(), reqs, opts)
	if err != nil {
		t.Fatal(err)
	}
	alone := opts
	alone.BatchSize = 1
	for i, p := range ps {
		seeds := []uint64{SampleSeed(5, 2, i, 0), SampleSeed(5, 2, i, 1), SampleSeed(5, 2, i, 2)}
		one, err := e.Generate(context.Background(), []Request{{PromptIDs: p, N: 3, Seeds: seeds}}, alone)
		if err != nil {
			t.Fatal(err)
		}
		for j, s := range one {
			b := batched[i*3+j]
			if !slices.Equal(s.CompletionIDs, b.CompletionIDs) || s.FinishReason != b.FinishReason {
				t.Fatalf("prompt %d sample %d: alone %v (%s), batched %v (%s)", i, j, s.CompletionIDs, s.FinishReason, b.CompletionIDs, b.FinishReason)
			}
			for k := range s.RawLogProbs {
				if d := math.Abs(float64(s.RawLogProbs[k] - b.RawLogProbs[k])); d > 1e-5 {
					t.Errorf("prompt %d sample %d token %d: raw log-prob differs by %.3g", i, j, k, d)
				}
			}
		}
	}
}

func TestStopsForcedTokensAndVocabulary(t *testing.T) {
	e := tinyEngine(t)
	ps := prompts(6, 6)
	stopAfter3 := func(prompt int, c []int32) bool { return prompt == 1 && len(c) >= 3 }
	opts := Options{Sampling: Sampling{Temperature: 1.5, ValidVocab: 300}, MaxNewTokens: 30, Stop: stopAfter3,
		StopIDs: []int32{299}, Detokenize: func(ids []int32) string { return string(rune('a' + len(ids))) }}
	reqs := []Request{{PromptIDs: ps[0], N: 6, Forced: []int32{400, 401}}, {PromptIDs: ps[1], N: 2}}
	got, err := e.Generate(context.Background(), reqs, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		c := s.CompletionIDs
		for i, id := range c {
			forced := s.PromptIndex == 0 && i < 2
			if s.GeneratedMask[i] == forced {
				t.Errorf("sample %d/%d token %d: generated mask %v", s.PromptIndex, s.SampleIndex, i, s.GeneratedMask[i])
			}
			if !forced && id >= 300 {
				t.Errorf("sampled id %d beyond the valid vocabulary", id)
			}
		}
		if s.PromptIndex == 0 && (c[0] != 400 || c[1] != 401 || !math.IsInf(float64(s.LogProbs[0]), -1)) {
			t.Errorf("forced prefix %v, log q %v: want [400 401 …] outside the sampling support", c[:2], s.LogProbs[:2])
		}
		switch {
		case s.PromptIndex == 1 && (len(c) != 3 || s.FinishReason != FinishStop):
			t.Errorf("stop function: %d tokens, %s", len(c), s.FinishReason)
		case s.FinishReason == FinishStop && s.PromptIndex == 0 && c[len(c)-1] != 299:
			t.Errorf("stop id: last token %d", c[len(c)-1])
		case s.FinishReason == FinishLength && len(c) != 30:
			t.Errorf("length finish after %d tokens", len(c))
		}
		if s.Text != string(rune('a'+len(c))) {
			t.Errorf("text %q not from Detokenize", s.Text)
		}
	}
}

func TestStreamSendsShortSamplesFirst(t *testing.T) {
	e := tinyEngine(t)
	ps := prompts(4, 4)
	opts := Options{Sampling: Sampling{Temperature: 1}, MaxNewTokens: 40, BatchSize: 4,
		Stop: func(prompt int, c []int32) bool { return prompt == 0 && len(c) == 2 }}
	out := make(chan Sample)
	errc := make(chan error, 1)
	go func() {
		errc <- e.Stream(context.Background(), []Request{{PromptIDs: ps[1], N: 2}, {PromptIDs: ps[0], N: 2}}, opts, out)
	}()
	// Request 0 stops after 2 tokens, request 1 runs 40: both of request 0's
	// samples arrive while request 1's rows are still decoding.
	var order []int
	for len(order) < 4 {
		select {
		case s := <-out:
			order = append(order, s.PromptIndex)
		case err := <-errc:
			t.Fatalf("stream ended after %d samples: %v", len(order), err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []int{0, 0, 1, 1}) {
		t.Errorf("arrival order %v, want the short samples first", order)
	}
}

func TestRejectsBadRequests(t *testing.T) {
	e := tinyEngine(t)
	cases := []struct {
		name string
		reqs []Request
		opts Options
	}{
		{"empty prompt", []Request{{N: 1}}, Options{MaxNewTokens: 1}},
		{"zero n", []Request{{PromptIDs: []int32{1}}}, Options{MaxNewTokens: 1}},
		{"seed count", []Request{{PromptIDs: []int32{1}, N: 2, Seeds: []uint64{1}}}, Options{MaxNewTokens: 1}},
		{"id outside vocab", []Request{{PromptIDs: []int32{1, 512}, N: 1}}, Options{MaxNewTokens: 1}},
		{"no new tokens", []Request{{PromptIDs: []int32{1}, N: 1}}, Options{}},
		{"prompt over the limit", []Request{{PromptIDs: []int32{1, 2, 3}, N: 1}}, Options{MaxNewTokens: 1, MaxLen: 3}},
		{"valid vocab too large", []Request{{PromptIDs: []int32{1}, N: 1}}, Options{MaxNewTokens: 1, Sampling: Sampling{ValidVocab: 600}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.Generate(context.Background(), tc.reqs, tc.opts); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestCancelStopsGeneration(t *testing.T) {
	e := tinyEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Generate(ctx, []Request{{PromptIDs: []int32{1, 2}, N: 2}}, Options{MaxNewTokens: 5}); err == nil {
		t.Error("a cancelled context gave no error")
	}
}

// TestLlamaWithBiasesMatchesFullForward covers the Llama layout: untied
// head, llama3 rope scaling, q/k/v and o biases (attention_bias true).
// TestOtherArchitecturesMatchFullForward: the sampler's graphs run the
// same block as the full forward for Llama with biases on q, k, v and o,
// and for Qwen3 (q/k norms, head_dim ≠ hidden/heads).
func TestOtherArchitecturesMatchFullForward(t *testing.T) {
	t.Run("llama-with-biases", func(t *testing.T) {
		checkMatchesFullForward(t, engineFor(t, "tiny-llama", func(c *policy.Config) { c.AttentionBias = true }))
	})
	t.Run("qwen3", func(t *testing.T) { checkMatchesFullForward(t, engineFor(t, "tiny-qwen3", nil)) })
	t.Run("lora", func(t *testing.T) {
		// Adapters added after the engine was built: it rebuilds its graphs.
		e := tinyEngine(t)
		m := e.Model()
		if err := m.AddAdapters(policy.LoRA{Rank: 2, Alpha: 4}, 1); err != nil {
			t.Fatal(err)
		}
		for i, p := range m.AdapterParams() {
			if !p.IsA {
				vals := make([]float32, p.Shape[0]*p.Shape[1])
				for j := range vals {
					vals[j] = float32((i+j)%7-3) * 0.02
				}
				if err := m.SetAdapter(p.Name, vals); err != nil {
					t.Fatal(err)
				}
			}
		}
		checkMatchesFullForward(t, e)
	})
	t.Run("from-variables", func(t *testing.T) {
		// Models above StackLimit decode from their variables, no stacked copy.
		e := tinyEngine(t)
		e.stack = false
		checkMatchesFullForward(t, e)
		if e.stacked != nil {
			t.Error("the engine stacked weights it was told not to")
		}
	})
}

func checkMatchesFullForward(t *testing.T, e *Engine) {
	ps := prompts(4, 13)
	var reqs []Request
	for _, p := range ps {
		reqs = append(reqs, Request{PromptIDs: p, N: 2})
	}
	for i := range reqs {
		for j := range reqs[i].PromptIDs {
			reqs[i].PromptIDs[j] %= int32(min(384, e.Model().Config.VocabSize))
		}
	}
	for _, temp := range []float64{0, 1} {
		got, err := e.Generate(context.Background(), reqs, Options{Sampling: Sampling{Temperature: temp}, MaxNewTokens: 10, BatchSize: 3, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for _, s := range got {
			seq := append(slices.Clone(s.PromptIDs), s.CompletionIDs...)
			raw, logits := fullLogProbs(t, e.Model(), seq)
			for i, id := range s.CompletionIDs {
				pos := len(s.PromptIDs) + i
				worst = math.Max(worst, math.Abs(float64(s.RawLogProbs[i]-raw[pos])))
				if temp == 0 && id != argmax(logits[pos-1]) {
					t.Errorf("greedy token %d of prompt %d: %d, full-forward argmax %d", i, s.PromptIndex, id, argmax(logits[pos-1]))
				}
			}
		}
		if worst > 1e-5 {
			t.Errorf("temperature %g: max |raw log-prob − full forward| = %.3g", temp, worst)
		}
	}
}
