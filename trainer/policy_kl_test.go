package trainer

import (
	"context"
	"math"
	"testing"

	"acecoder/policy/chat"
	"acecoder/trainer/optim"
)

// lengthRewarder is a fake rewarder (no execution): reward = completion
// length in bytes mod 3. The test below checks log-probs and KL, which do
// not depend on where rewards come from.
type lengthRewarder struct{}

func (lengthRewarder) Streaming() bool { return false }

func (lengthRewarder) Reward(_ context.Context, items []RewardItem) ([]SampleReward, error) {
	out := make([]SampleReward, len(items))
	for i, it := range items {
		out[i] = SampleReward{Reward: float64(len(it.Completion) % 3), PassRate: -1}
	}
	return out, nil
}

// The log π_old, log π_ref and per-token k1 KL that an experience carries
// (computed batched, left-padded, at the sampling temperature; log π_old
// from the sampler or, with RescoreOld, from a scoring pass) agree with an
// independent forward of each sequence alone, unpadded, through the
// full-logits path and a float64 log-softmax of logits / T.
func TestExperienceLogProbsMatchIndependentForward(t *testing.T) {
	for _, rescore := range []bool{false, true} {
		name := "sampler"
		if rescore {
			name = "rescored"
		}
		t.Run(name, func(t *testing.T) { checkExperienceLogProbs(t, rescore) })
	}
}

func checkExperienceLogProbs(t *testing.T, rescore bool) {
	actor := tinyTextModel(t, 1)
	ref := tinyTextModel(t, 2).Model // other weights, so the KL is not 0
	var prompts []Prompt
	for _, q := range []string{"Pick a digit.", "Pick one digit from zero to nine, please."} {
		ids, err := actor.ChatPrompt([]chat.Message{{"role": "user", "content": q}}, "")
		if err != nil {
			t.Fatal(err)
		}
		prompts = append(prompts, Prompt{ID: q, Question: q, IDs: ids})
	}
	const temp = 0.7
	s := digitSettings(actor, Reinforce, 1)
	s.RolloutBatchSize, s.SamplesPerPrompt, s.MicroBatchSize = 2, 4, 3 // micro-batches mix prompts of two lengths
	s.Sampling.Temperature, s.Sampling.MaxNewTokens = temp, 12
	s.RescoreOld = rescore
	tr, err := NewPolicyTrainer(actor, ref, lengthRewarder{}, optim.DefaultAdamW(), s, prompts)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := tr.MakeExperience(context.Background(), []*Prompt{&prompts[0], &prompts[1]})
	if err != nil {
		t.Fatal(err)
	}
	nonzeroKL := 0
	for i, seq := range exp.Seqs {
		old := independentLogProbs(t, actor.Model.SequenceLogits, seq, exp.CompLen[i], temp)
		rf := independentLogProbs(t, ref.SequenceLogits, seq, exp.CompLen[i], temp)
		for k := range exp.CompLen[i] {
			if d := math.Abs(exp.OldLogp[i][k] - old[k]); d > 2e-5 {
				t.Errorf("sample %d token %d: log π_old %.6f, independent forward %.6f", i, k, exp.OldLogp[i][k], old[k])
			}
			if d := math.Abs(exp.RefLogp[i][k] - rf[k]); d > 2e-5 {
				t.Errorf("sample %d token %d: log π_ref %.6f, independent forward %.6f", i, k, exp.RefLogp[i][k], rf[k])
			}
			if d := math.Abs(exp.KL[i][k] - (old[k] - rf[k])); d > 4e-5 {
				t.Errorf("sample %d token %d: k1 KL %.6f, want log π_old − log π_ref = %.6f", i, k, exp.KL[i][k], old[k]-rf[k])
			}
			if math.Abs(old[k]-rf[k]) > 1e-3 {
				nonzeroKL++
			}
		}
	}
	if nonzeroKL == 0 {
		t.Fatal("actor and reference agree everywhere; the KL check tested nothing")
	}
}

// independentLogProbs scores the last n tokens of one sequence from its
// own full-logits forward: log softmax(logits / T) in float64.
func independentLogProbs(t *testing.T, logitsOf func([][]int32) ([][][]float32, error), seq []int32, n int, temp float64) []float64 {
	t.Helper()
	logits, err := logitsOf([][]int32{seq})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n)
	for k := range n {
		p := len(seq) - n + k // position of the scored token
		row := logits[0][p-1]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v)/temp)
		}
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(float64(v)/temp - mx)
		}
		out[k] = float64(row[seq[p]])/temp - mx - math.Log(sum)
	}
	return out
}
