package rewards

import (
	"context"
	"fmt"
	"math"
	"slices"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"acecoder/policy/chat"

	"acecoder/policy"
)

// Render turns a prompt and a response (a program, possibly with its
// preamble) into the text the reward model reads: the conversation
// [user: prompt, assistant: response] through the chat template, without a
// generation prompt; prompt + response when there is no template.
func (rm *RewardModel) Render(prompt, response string) (string, error) {
	if rm.Template == nil {
		return prompt + response, nil
	}
	msgs := []chat.Message{{"role": "user", "content": prompt}, {"role": "assistant", "content": response}}
	text, err := rm.Template.Render(msgs, chat.Options{})
	if err != nil {
		return "", fmt.Errorf("rewards: render: %w", err)
	}
	return text, nil
}

// Encode tokenizes a rendered text (special tokens written in it are
// recognised; none are added) and truncates it to MaxLength, keeping the
// start. truncated reports a cut.
func (rm *RewardModel) Encode(text string) (ids []int32, truncated bool) {
	raw := rm.Tokenizer.Encode(text, false)
	if rm.MaxLength > 0 && len(raw) > rm.MaxLength {
		raw, truncated = raw[:rm.MaxLength], true
	}
	ids = make([]int32, len(raw))
	for i, id := range raw {
		ids[i] = int32(id)
	}
	return ids, truncated
}

// Score returns the reward of each rendered text, in batches of BatchSize.
func (rm *RewardModel) Score(ctx context.Context, texts []string) ([]float32, error) {
	seqs := make([][]int32, len(texts))
	for i, t := range texts {
		seqs[i], _ = rm.Encode(t)
	}
	return rm.ScoreIDs(ctx, seqs)
}

// ScorePairs renders and scores (prompt, response) pairs.
func (rm *RewardModel) ScorePairs(ctx context.Context, prompts, responses []string) ([]float32, error) {
	if len(prompts) != len(responses) {
		return nil, fmt.Errorf("rewards: %d prompts for %d responses", len(prompts), len(responses))
	}
	texts := make([]string, len(prompts))
	for i := range prompts {
		t, err := rm.Render(prompts[i], responses[i])
		if err != nil {
			return nil, err
		}
		texts[i] = t
	}
	return rm.Score(ctx, texts)
}

// ScoreIDs returns the reward of each token sequence. Sequences are sorted
// by length (stable), left-padded in batches of BatchSize to BucketLength,
// and the rewards returned in the input order; padding changes a reward
// only by float rounding.
func (rm *RewardModel) ScoreIDs(ctx context.Context, seqs [][]int32) ([]float32, error) {
	bs := rm.BatchSize
	if bs <= 0 {
		bs = 8
	}
	order := make([]int, len(seqs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(seqs[a]) - len(seqs[b]) })
	out := make([]float32, len(seqs))
	batch := make([][]int32, 0, bs)
	for start := 0; start < len(order); start += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := order[start:min(start+bs, len(order))]
		batch = batch[:0]
		for _, i := range idx {
			batch = append(batch, seqs[i])
		}
		b, err := PadBatch(batch, PadMultiple)
		if err != nil {
			return nil, err
		}
		r, err := rm.scoreBatch(b)
		if err != nil {
			return nil, err
		}
		for k, i := range idx {
			out[i] = r[k]
		}
	}
	return out, nil
}

func (rm *RewardModel) scoreBatch(b Batch) (r []float32, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("rewards: score: %v", p)
		}
	}()
	rm.mu.Lock()
	if rm.score == nil {
		rm.score, err = model.NewExec(rm.Backbone.Backend, rm.Backbone.Store, func(_ *model.Scope, ids, pos, mask *Node) *Node {
			policy.VariablesAsParameters(rm.Backbone.Store, ids.Graph())
			return rm.Rewards(ids, pos, mask, nil)
		})
	}
	e := rm.score
	rm.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("rewards: score: %w", err)
	}
	ids, pos, mask := b.Tensors()
	res, err := e.Exec(ids, pos, mask)
	if err != nil {
		return nil, fmt.Errorf("rewards: score: %w", err)
	}
	return tensors.CopyFlatData[float32](res[0])
}

// BestOfN returns, for each task, the index of its highest-scoring sample
// (the first on ties; NaN scores never win; -1 for a task with no
// finite score).
func BestOfN(scores [][]float32) []int {
	best := make([]int, len(scores))
	for i, s := range scores {
		best[i] = -1
		for j, v := range s {
			if math.IsNaN(float64(v)) {
				continue
			}
			if best[i] < 0 || v > s[best[i]] {
				best[i] = j
			}
		}
	}
	return best
}

// SelectBest scores the samples of each task (prompts[i] with each of
// samples[i]) and returns the index of the best sample per task and all
// scores.
func (rm *RewardModel) SelectBest(ctx context.Context, prompts []string, samples [][]string) (best []int, scores [][]float32, err error) {
	if len(prompts) != len(samples) {
		return nil, nil, fmt.Errorf("rewards: best-of-n: %d prompts for %d sample lists", len(prompts), len(samples))
	}
	var ps, rs []string
	for i, list := range samples {
		for _, s := range list {
			ps, rs = append(ps, prompts[i]), append(rs, s)
		}
	}
	flat, err := rm.ScorePairs(ctx, ps, rs)
	if err != nil {
		return nil, nil, err
	}
	scores = make([][]float32, len(samples))
	k := 0
	for i, list := range samples {
		scores[i] = flat[k : k+len(list)]
		k += len(list)
	}
	return BestOfN(scores), scores, nil
}
