package policy

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
)

// TokenLogProbs returns log softmax(logits[b,s])[targets[b,s]] · mask[b,s]:
// logits [B,S,V] float32, targets [B,S] int32, mask [B,S] (1 = score it)
// → [B,S] float32, 0 where mask is 0. Computed as
// logit[target] − logsumexp(logits) with the max subtracted, without
// materialising the [B,S,V] log-softmax twice.
func TokenLogProbs(logits, targets, mask *Node) *Node {
	g := logits.Graph()
	b, s := targets.Shape().Dim(0), targets.Shape().Dim(1)
	bi := Iota(g, shapeI32(b, s, 1), 0)
	si := Iota(g, shapeI32(b, s, 1), 1)
	idx := Concatenate([]*Node{bi, si, ExpandAxes(ConvertDType(targets, dtypes.Int32), -1)}, -1)
	picked := Gather(logits, idx) // [B,S]
	mx := StopGradient(ReduceMax(logits, -1))
	lse := Add(Log(ReduceSum(Exp(Sub(logits, ExpandAxes(mx, -1))), -1)), mx)
	m := toF32(mask)
	// Where keeps masked entries exactly 0 even if a padded row is extreme.
	return Where(GreaterThan(m, ScalarZero(g, dtypes.Float32)), Sub(picked, lse), ZerosLike(lse))
}

// NextTokenLogProbs scores each token given its prefix, aligned with ids:
// out[b,s] = log p(ids[b,s] | ids[b,<s]) for s ≥ 1 where mask[b,s] and
// mask[b,s−1] are both 1, else 0. ids, positions, mask [B,S] → [B,S].
// This is the per-token log-prob an RL loss needs for response tokens.
func (d *Decoder) NextTokenLogProbs(ids, positions, mask *Node) *Node {
	return d.TemperedLogProbs(ids, positions, mask, 1)
}

// TemperedLogProbs is NextTokenLogProbs of the distribution the sampler
// draws from at this temperature: log softmax(logits / temperature).
// Temperature ≤ 0 or 1 gives the policy's own log-probs. An RL loss on
// samples drawn at temperature T scores them with this, so the ratio,
// the KL and the gradient all refer to the policy that was sampled.
//
// Long batches never hold all their logits at once: when [B,S,V] float32
// would exceed LogitsChunkBytes, the head, the log-softmax and the pick
// run over chunks of positions, each chunk a gradient checkpoint (its
// logits are recomputed in the backward pass rather than kept).
func (d *Decoder) TemperedLogProbs(ids, positions, mask *Node, temperature float64) *Node {
	hidden := d.Hidden(ids, positions, mask)
	b, s := ids.Shape().Dim(0), ids.Shape().Dim(1)
	return d.chunkedLogProbs(hidden, ids, mask, temperature, logitsChunk(b, s, d.Config.VocabSize))
}

// chunkedLogProbs is TemperedLogProbs from the hidden states [B,S,D], the
// head and log-softmax taken chunk positions at a time.
func (d *Decoder) chunkedLogProbs(hidden, ids, mask *Node, temperature float64, chunk int) *Node {
	s := ids.Shape().Dim(1)
	if chunk >= s {
		return ShiftedLogProbs(d.temperedLogits(hidden, temperature), ids, mask)
	}
	// Position p's logits score token p+1: chunk c covers scored positions
	// [lo+1, hi] from hidden [lo, hi).
	if s < 2 {
		return ZerosLike(toF32(mask))
	}
	m := toF32(mask)
	parts := []*Node{ZerosLike(Slice(m, AxisRange(), AxisRange(0, 1)))}
	for lo := 0; lo < s-1; lo += chunk {
		hi := min(lo+chunk, s-1)
		h := Slice(hidden, AxisRange(), AxisRange(lo, hi)).Checkpoint()
		both := Mul(Slice(m, AxisRange(), AxisRange(lo, hi)), Slice(m, AxisRange(), AxisRange(lo+1, hi+1)))
		lp := TokenLogProbs(d.temperedLogits(h, temperature), Slice(ids, AxisRange(), AxisRange(lo+1, hi+1)), both)
		parts = append(parts, lp.StopCheckpoint())
	}
	return Concatenate(parts, 1)
}

// temperedLogits is the head's logits of hidden [B,S,D] divided by the
// temperature (≤ 0 or 1: unchanged).
func (d *Decoder) temperedLogits(hidden *Node, temperature float64) *Node {
	logits := d.Head(hidden, nil)
	if temperature > 0 && temperature != 1 {
		logits = MulScalar(logits, 1/temperature)
	}
	return logits
}

// LogitsChunkBytes bounds the float32 logits a log-prob graph holds at
// once (TemperedLogProbs).
const LogitsChunkBytes = 256 << 20

// logitsChunk is the number of positions per chunk of a [b,s,v] batch's
// logits: s when they fit LogitsChunkBytes, else the most that do (at
// least 1).
func logitsChunk(b, s, v int) int {
	perPos := int64(b) * int64(v) * 4
	if perPos*int64(s) <= LogitsChunkBytes {
		return s
	}
	return max(1, int(LogitsChunkBytes/perPos))
}

// ShiftedLogProbs turns next-token logits [B,S,V] into log-probs of ids
// aligned with ids (see NextTokenLogProbs): column 0 is 0.
func ShiftedLogProbs(logits, ids, mask *Node) *Node {
	s := ids.Shape().Dim(1)
	if s < 2 {
		return ZerosLike(toF32(mask))
	}
	prev := Slice(logits, AxisRange(), AxisRange(0, s-1))
	next := Slice(ids, AxisRange(), AxisRange(1, s))
	m := toF32(mask)
	both := Mul(Slice(m, AxisRange(), AxisRange(0, s-1)), Slice(m, AxisRange(), AxisRange(1, s)))
	lp := TokenLogProbs(prev, next, both)
	zero := ZerosLike(Slice(lp, AxisRange(), AxisRange(0, 1)))
	return Concatenate([]*Node{zero, lp}, 1)
}

// LastIndex returns, per row, the index of the last position whose mask is
// 1 (0 for an all-padding row): mask [B,S] → [B] int32. Works for left and
// right padding.
func LastIndex(mask *Node) *Node {
	g := mask.Graph()
	b, s := mask.Shape().Dim(0), mask.Shape().Dim(1)
	pos1 := AddScalar(Iota(g, shapes.Make(dtypes.Float32, b, s), 1), 1)
	last := ReduceMax(Mul(pos1, toF32(mask)), -1)
	return ConvertDType(Max(AddScalar(last, -1), ScalarZero(g, dtypes.Float32)), dtypes.Int32)
}

// LastHidden picks hidden[b, LastIndex(mask)[b]]: hidden [B,S,D] → [B,D]
// (the reward model's value head reads it). Done as a one-hot contraction,
// so the gradient flows to the selected position only.
func LastHidden(hidden, mask *Node) *Node {
	s := hidden.Shape().Dim(1)
	oneHot := OneHot(LastIndex(mask), s, hidden.DType()) // [B,S]
	return Einsum("bs,bsd->bd", oneHot, hidden)
}

// MaskBeyondVocab sets logits[..., n:] to −inf, so token ids the tokenizer
// cannot produce (the padded rows of the embedding) are never sampled.
func MaskBeyondVocab(logits *Node, n int) *Node {
	v := logits.Shape().Dim(-1)
	if n <= 0 || n >= v {
		return logits
	}
	g := logits.Graph()
	ok := LessThan(Iota(g, shapeI32(v), 0), Scalar(g, dtypes.Int32, n))
	lead := make([]int, logits.Rank())
	for i := range lead {
		lead[i] = 1
	}
	lead[len(lead)-1] = v
	ok = BroadcastToDims(Reshape(ok, lead...), logits.Shape().Dimensions...)
	return Where(ok, logits, BroadcastToDims(Infinity(g, dtypes.Float32, -1), logits.Shape().Dimensions...))
}
