package trainer

import (
	"fmt"
	"math/rand/v2"

	"acecoder/rewards"
)

// AcePreamble is AceCoder's fixed assistant preamble (see rewards.AcePreamble).
const AcePreamble = rewards.AcePreamble

// RMExample is a tokenized pair: the rendered chosen and rejected
// conversations, and the pair's own margin (used with pair_margins).
type RMExample struct {
	Chosen, Rejected []int32
	Margin           float32
}

// Tokens is the number of tokens of both sides.
func (e RMExample) Tokens() int { return len(e.Chosen) + len(e.Rejected) }

// WithPreamble prefixes a program with AcePreamble unless it already
// starts with it.
func WithPreamble(program string) string { return rewards.WithPreamble(program) }

// TokenizePairs renders each side of each pair as the conversation
// [user: prompt, assistant: program] with rm's chat template and tokenizes
// it, truncating to rm.MaxLength. It returns how many sides were truncated.
func TokenizePairs(rm *rewards.RewardModel, pairs []Pair, preamble bool) ([]RMExample, int, error) {
	out := make([]RMExample, len(pairs))
	truncated := 0
	for i, p := range pairs {
		var sides [2][]int32
		for s, prog := range []string{p.Chosen, p.Rejected} {
			if preamble {
				prog = WithPreamble(prog)
			}
			text, err := rm.Render(p.Prompt, prog)
			if err != nil {
				return nil, 0, fmt.Errorf("trainer: pair %d (%s): %w", i, p.ID, err)
			}
			ids, cut := rm.Encode(text)
			if len(ids) == 0 {
				return nil, 0, fmt.Errorf("trainer: pair %d (%s) renders to no tokens", i, p.ID)
			}
			if cut {
				truncated++
			}
			sides[s] = ids
		}
		out[i] = RMExample{Chosen: sides[0], Rejected: sides[1], Margin: float32(p.Margin)}
	}
	return out, truncated, nil
}

// SplitEval holds out about frac of the items for evaluation, whole
// groups at a time: items with the same key (the pair's question) go to
// the same side, so eval accuracy measures questions the model was not
// trained on rather than other pairs of the same question. It holds out
// ceil(frac·groups) groups, chosen by a permutation seeded with seed, and
// keeps at least one group for training; with a single group it splits
// items instead. Orders are preserved.
func SplitEval[T any](items []T, frac float64, seed int64, key func(T) string) (train, eval []T) {
	if frac <= 0 || len(items) < 2 {
		return items, nil
	}
	group := make([]int, len(items))
	ids := map[string]int{}
	for i, it := range items {
		k := key(it)
		g, ok := ids[k]
		if !ok {
			g = len(ids)
			ids[k] = g
		}
		group[i] = g
	}
	n := len(ids)
	if n == 1 { // one question: split its pairs instead
		n = len(items)
		for i := range group {
			group[i] = i
		}
	}
	k := min(int(float64(n)*frac+0.999999), n-1)
	held := make([]bool, n)
	for _, g := range rand.New(rand.NewPCG(uint64(seed), 0xe7a1)).Perm(n)[:k] {
		held[g] = true
	}
	for i, it := range items {
		if held[group[i]] {
			eval = append(eval, it)
		} else {
			train = append(train, it)
		}
	}
	return train, eval
}

// DropoutKeep returns a [rows·d] inverted-dropout mask for the value head:
// each entry is 0 with probability p, else 1/(1−p). It depends only on
// (seed, step, micro), so the host-side RNG needs no saved state and a
// resumed run draws the same masks. (GoMLX's in-graph RNG keeps its state
// in a store variable, /#rngState, that a restore brings back trainable;
// drawing on the host avoids it.) p = 0 gives all ones.
func DropoutKeep(rows, d int, p float64, seed int64, step, micro int) []float32 {
	out := make([]float32, rows*d)
	if p <= 0 {
		for i := range out {
			out[i] = 1
		}
		return out
	}
	rng := rand.New(rand.NewPCG(uint64(seed)^0xd409, uint64(step)<<20|uint64(micro)))
	scale := float32(1 / (1 - p))
	for i := range out {
		if rng.Float64() >= p {
			out[i] = scale
		}
	}
	return out
}

// PairBatch stacks the chosen sides of exs[idx] and then their rejected
// sides into one left-padded batch [2·len(idx), S], and returns the pairs'
// margins [len(idx)].
func PairBatch(exs []RMExample, idx []int) (rewards.Batch, []float32, error) {
	seqs := make([][]int32, 2*len(idx))
	margins := make([]float32, len(idx))
	for i, k := range idx {
		seqs[i], seqs[len(idx)+i] = exs[k].Chosen, exs[k].Rejected
		margins[i] = exs[k].Margin
	}
	b, err := rewards.PadBatch(seqs, rewards.PadMultiple)
	return b, margins, err
}
