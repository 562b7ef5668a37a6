package rollout

import (
	"container/heap"
	"math"
	"slices"
)

// Sampling is the decoding rule applied to one row of next-token logits.
// The order of the transforms follows Hugging Face's logits warpers:
// temperature, then top-k, then top-p on the renormalised top-k mass.
type Sampling struct {
	// Temperature divides the logits; 0 is greedy (argmax, ties to the
	// lowest id).
	Temperature float64
	// TopK keeps the k most likely tokens; 0 keeps all.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose mass is at
	// least TopP (Hugging Face's rule: drop the tail whose mass is at most
	// 1−TopP); values ≥ 1 (or ≤ 0) keep all.
	TopP float64
	// ValidVocab is the number of ids the tokenizer can produce; logits at
	// ids ≥ ValidVocab (padded embedding rows) are never sampled. 0 means
	// the whole logits row.
	ValidVocab int
}

// Pick is one sampled token with its log-probabilities.
type Pick struct {
	ID int32
	// LogProb is log q(ID) under the distribution actually sampled from
	// (temperature, top-k, top-p, valid vocabulary, renormalised); 0 for
	// greedy; −Inf when a forced token lies outside q's support.
	LogProb float64
	// RawLogProb is log softmax(logits)[ID] over the full row at
	// temperature 1: the model's own log-probability.
	RawLogProb float64
	// PolicyLogProb is log softmax(logits/T)[ID] over the full row at the
	// sampling temperature T (1 for greedy): the log-probability under the
	// tempered policy that RL optimises (policy.Decoder.TemperedLogProbs),
	// top-k, top-p and the valid vocabulary not applied.
	PolicyLogProb float64
}

// LogSumExp is log Σ exp(x_i), computed with the max subtracted: x [V].
func LogSumExp(x []float32) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	if math.IsInf(mx, -1) {
		return mx
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}

// Distribution returns the sampling distribution q of logits [V] under s as
// (ids, probs) with probs summing to 1: ids by decreasing probability (ties
// by id) when top-k or top-p truncates, in id order otherwise. For greedy
// it is the argmax with probability 1.
func (s Sampling) Distribution(logits []float32) (ids []int32, probs []float64) {
	return s.distribution(logits, &scratch{})
}

// scratch holds the buffers of one sampling call, reused across the calls
// of a generation (a row of a 150k vocabulary is 1.2 MB of float64).
type scratch struct {
	p, probs  []float64
	ids, heap []int32
}

func (s Sampling) distribution(logits []float32, sc *scratch) (ids []int32, probs []float64) {
	valid := logits
	if s.ValidVocab > 0 && s.ValidVocab < len(logits) {
		valid = logits[:s.ValidVocab]
	}
	if s.Temperature <= 0 {
		return []int32{argmax(valid)}, []float64{1}
	}
	// p_i = exp((l_i − max)/T) / Σ_j exp((l_j − max)/T) over the valid ids.
	mx := float64(valid[argmax(valid)])
	p := slices.Grow(sc.p[:0], len(valid))[:len(valid)]
	sc.p = p
	ids, probs = sc.ids[:0], sc.probs[:0]
	defer func() { sc.ids, sc.probs = ids[:0], probs[:0] }()
	z := 0.0
	for i, v := range valid {
		p[i] = math.Exp((float64(v) - mx) / s.Temperature)
		z += p[i]
	}
	k := len(valid)
	if s.TopK > 0 && s.TopK < k {
		k = s.TopK
	}
	truncP := s.TopP > 0 && s.TopP < 1
	if k == len(valid) && !truncP {
		for i, q := range p {
			if q > 0 {
				ids, probs = append(ids, int32(i)), append(probs, q/z)
			}
		}
		return ids, probs
	}
	h := &probHeap{p: p, ids: sc.heap[:0]}
	for i := range p {
		if p[i] > 0 {
			h.ids = append(h.ids, int32(i))
		}
	}
	defer func() { sc.heap = h.ids[:0] }()
	heap.Init(h)
	for len(ids) < k && h.Len() > 0 {
		id := heap.Pop(h).(int32)
		ids, probs = append(ids, id), append(probs, p[id]/z)
	}
	mass := 0.0
	for _, q := range probs {
		mass += q
	}
	n := len(ids)
	if truncP {
		cum := 0.0
		for i, q := range probs {
			cum += q / mass
			if cum >= s.TopP {
				n = i + 1
				break
			}
		}
	}
	ids, probs = ids[:n], probs[:n]
	kept := 0.0
	for _, q := range probs {
		kept += q
	}
	for i := range probs {
		probs[i] /= kept
	}
	return ids, probs
}

// Draw samples from logits [V] with the uniform u ∈ [0,1) (one draw per
// token, so a row's random stream does not depend on batching). Greedy
// ignores u.
func (s Sampling) Draw(logits []float32, u float64) Pick {
	return s.draw(logits, u, &scratch{})
}

func (s Sampling) draw(logits []float32, u float64, sc *scratch) Pick {
	ids, probs := s.distribution(logits, sc)
	i := 0
	for cum := 0.0; i < len(ids)-1; i++ {
		cum += probs[i]
		if u < cum {
			break
		}
	}
	return s.pick(logits, ids, probs, ids[i])
}

// Force scores a token that was not sampled (a forced prefix token):
// LogProb is −Inf when it lies outside the sampling distribution's support.
func (s Sampling) Force(logits []float32, id int32) Pick {
	return s.force(logits, id, &scratch{})
}

func (s Sampling) force(logits []float32, id int32, sc *scratch) Pick {
	ids, probs := s.distribution(logits, sc)
	return s.pick(logits, ids, probs, id)
}

func (s Sampling) pick(logits []float32, ids []int32, probs []float64, id int32) Pick {
	lp := math.Inf(-1)
	for i, c := range ids {
		if c == id {
			lp = math.Log(probs[i])
			break
		}
	}
	return Pick{ID: id, LogProb: lp, RawLogProb: float64(logits[id]) - LogSumExp(logits),
		PolicyLogProb: temperedLogProb(logits, id, s.Temperature)}
}

// temperedLogProb is log softmax(logits/t)[id] over the full row, t ≤ 0
// read as 1, in float64.
func temperedLogProb(logits []float32, id int32, t float64) float64 {
	if t <= 0 {
		t = 1
	}
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v)/t)
	}
	sum := 0.0
	for _, v := range logits {
		sum += math.Exp(float64(v)/t - mx)
	}
	return float64(logits[id])/t - mx - math.Log(sum)
}

// argmax returns the index of the largest value (the first on ties).
func argmax(x []float32) int32 {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return int32(best)
}

// probHeap is a max-heap of ids by probability (ties: lower id first), so
// top-k / top-p cost O(V + k log V) instead of a full sort.
type probHeap struct {
	ids []int32
	p   []float64
}

func (h *probHeap) Len() int { return len(h.ids) }
func (h *probHeap) Less(i, j int) bool {
	a, b := h.ids[i], h.ids[j]
	return h.p[a] > h.p[b] || (h.p[a] == h.p[b] && a < b)
}
func (h *probHeap) Swap(i, j int) { h.ids[i], h.ids[j] = h.ids[j], h.ids[i] }
func (h *probHeap) Push(x any)    { h.ids = append(h.ids, x.(int32)) }
func (h *probHeap) Pop() any {
	n := len(h.ids) - 1
	x := h.ids[n]
	h.ids = h.ids[:n]
	return x
}
