package trainer

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"

	"acecoder/policy"
)

// seqBucket rounds a sequence length up to a multiple of 32 so that the
// compiled training and scoring graphs are reused across steps.
func seqBucket(n int) int { return (n + 31) / 32 * 32 }

// ones is n ones: the response mask of n completion tokens.
func ones(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

// leftPadTo right-aligns sequences in rows of exactly s tokens (see
// policy.LeftPad).
func leftPadTo(seqs [][]int32, pad int32, s int) policy.Batch {
	b := policy.LeftPad(append(slices.Clone(seqs), make([]int32, s)), pad)
	b.IDs, b.Positions, b.Mask = b.IDs[:len(seqs)], b.Positions[:len(seqs)], b.Mask[:len(seqs)]
	return b
}

// alignedRows places per-sample completion values [n][T_i] into left-padded
// rows [n][s] where sample i's completion ends at the row's end (the layout
// leftPadTo gives prompt + completion).
func alignedRows(vals [][]float64, s int) [][]float32 {
	out := make([][]float32, len(vals))
	for i, v := range vals {
		row := make([]float32, s)
		off := s - len(v)
		for t, x := range v {
			row[off+t] = float32(x)
		}
		out[i] = row
	}
	return out
}

// completionLogProbs scores sequences with a model at a sampling
// temperature and returns, for each, the log-probs of its last compLen[i]
// tokens, micro-batched.
func completionLogProbs(score func(policy.Batch, float64) (*tensors.Tensor, error), seqs [][]int32, compLen []int, pad int32, micro int, temperature float64) ([][]float64, error) {
	out := make([][]float64, len(seqs))
	for lo := 0; lo < len(seqs); lo += micro {
		hi := min(lo+micro, len(seqs))
		s := 0
		for _, q := range seqs[lo:hi] {
			s = max(s, len(q))
		}
		s = seqBucket(s)
		rows := slices.Clone(seqs[lo:hi])
		// Pad the micro-batch to its full size so one graph serves all.
		for len(rows) < micro {
			rows = append(rows, []int32{pad})
		}
		t, err := score(leftPadTo(rows, pad, s), temperature)
		if err != nil {
			return nil, err
		}
		flat, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, fmt.Errorf("trainer: log-probs: %w", err)
		}
		for i := lo; i < hi; i++ {
			row := flat[(i-lo)*s : (i-lo+1)*s]
			lp := make([]float64, compLen[i])
			for t := range lp {
				lp[t] = float64(row[s-compLen[i]+t])
			}
			out[i] = lp
		}
	}
	return out, nil
}

// rightPadded turns per-sample values [n][T_i] into a right-padded matrix
// [n][T] with its mask, the layout of the advantage functions.
func rightPadded(vals [][]float64) ([][]float64, [][]bool) {
	t := 0
	for _, v := range vals {
		t = max(t, len(v))
	}
	out := make([][]float64, len(vals))
	mask := make([][]bool, len(vals))
	for i, v := range vals {
		out[i], mask[i] = make([]float64, t), make([]bool, t)
		copy(out[i], v)
		for j := range v {
			mask[i][j] = true
		}
	}
	return out, mask
}

// unpad is the inverse of rightPadded for per-sample lengths.
func unpad(m [][]float64, lens []int) [][]float64 {
	out := make([][]float64, len(m))
	for i := range m {
		out[i] = m[i][:lens[i]]
	}
	return out
}
