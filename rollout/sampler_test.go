package rollout

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// refDistribution is the plain reference of Sampling.Distribution: a full
// sort, temperature, top-k, then HF's top-p rule (drop the ascending-order
// tail whose cumulative mass is ≤ 1−p), renormalised. Returns q [V].
func refDistribution(logits []float32, s Sampling) []float64 {
	v := len(logits)
	if s.ValidVocab > 0 {
		v = s.ValidVocab
	}
	q := make([]float64, len(logits))
	mx := math.Inf(-1)
	for i := range v {
		mx = math.Max(mx, float64(logits[i]))
	}
	order := make([]int, v)
	z := 0.0
	for i := range v {
		order[i] = i
		q[i] = math.Exp((float64(logits[i]) - mx) / s.Temperature)
		z += q[i]
	}
	sort.SliceStable(order, func(a, b int) bool { return q[order[a]] > q[order[b]] })
	for i := range v {
		q[i] /= z
	}
	if s.TopK > 0 && s.TopK < v {
		for _, i := range order[s.TopK:] {
			q[i] = 0
		}
		order = order[:s.TopK]
	}
	renorm(q)
	if s.TopP > 0 && s.TopP < 1 {
		cum := 0.0
		for k := len(order) - 1; k > 0; k-- { // ascending
			cum += q[order[k]]
			if cum > 1-s.TopP {
				break
			}
			q[order[k]] = 0
		}
		renorm(q)
	}
	return q
}

func renorm(q []float64) {
	z := 0.0
	for _, x := range q {
		z += x
	}
	for i := range q {
		q[i] /= z
	}
}

func TestSamplingMatchesAnalyticDistribution(t *testing.T) {
	logits := []float32{1.5, 0.2, -0.3, 2.0, 0.9, -1.2, 0.0, 1.1, 3.0, -2.0}
	cases := []struct {
		name string
		s    Sampling
	}{
		{"temperature 1", Sampling{Temperature: 1}},
		{"temperature 0.5", Sampling{Temperature: 0.5}},
		{"temperature 1.7 top-k 4", Sampling{Temperature: 1.7, TopK: 4}},
		{"top-p 0.8", Sampling{Temperature: 1, TopP: 0.8}},
		{"top-k 6 top-p 0.9 t 0.8", Sampling{Temperature: 0.8, TopK: 6, TopP: 0.9}},
		{"valid vocab 8 (max logit excluded)", Sampling{Temperature: 1.2, ValidVocab: 8}},
	}
	const draws = 40000
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := refDistribution(logits, tc.s)
			rng := rand.New(rand.NewPCG(7, 11))
			counts := make([]int, len(logits))
			for range draws {
				p := tc.s.Draw(logits, rng.Float64())
				counts[p.ID]++
				if math.Abs(p.LogProb-math.Log(want[p.ID])) > 1e-9 {
					t.Fatalf("id %d: log q %v, want %v", p.ID, p.LogProb, math.Log(want[p.ID]))
				}
			}
			chi2, df := 0.0, -1
			for i, q := range want {
				if q == 0 {
					if counts[i] != 0 {
						t.Fatalf("id %d outside the support drawn %d times", i, counts[i])
					}
					continue
				}
				e := q * draws
				chi2 += (float64(counts[i]) - e) * (float64(counts[i]) - e) / e
				df++
			}
			// 0.999 quantiles of χ² for df ≤ 9 are below 27.9.
			if chi2 > 27.9 {
				t.Errorf("χ² = %.1f with %d degrees of freedom: frequencies %v vs %v", chi2, df, counts, want)
			}
		})
	}
}

func TestGreedyAndRawLogProb(t *testing.T) {
	logits := []float32{0.1, 2.5, 2.5, -1, 9}
	s := Sampling{Temperature: 0, ValidVocab: 4}
	p := s.Draw(logits, 0.99)
	if p.ID != 1 || p.LogProb != 0 {
		t.Errorf("greedy over the valid vocab: %+v, want id 1 (first of the tie) with log q 0", p)
	}
	want := float64(logits[1]) - LogSumExp(logits)
	if math.Abs(p.RawLogProb-want) > 1e-12 {
		t.Errorf("raw log-prob %v, want %v (full row, temperature 1)", p.RawLogProb, want)
	}
	f := Sampling{Temperature: 1, TopK: 1}.Force(logits, 0)
	if !math.IsInf(f.LogProb, -1) || f.ID != 0 {
		t.Errorf("forced token outside top-1: %+v, want log q = -Inf", f)
	}
}

func TestSampleSeed(t *testing.T) {
	seen := map[uint64]string{}
	for step := range uint64(3) {
		for p := range 20 {
			for s := range 20 {
				k := SampleSeed(42, step, p, s)
				if prev, ok := seen[k]; ok {
					t.Fatalf("seed collision with %s", prev)
				}
				seen[k] = "x"
			}
		}
	}
	if SampleSeed(1, 2, 3, 4) != SampleSeed(1, 2, 3, 4) || SampleSeed(1, 2, 3, 4) == SampleSeed(2, 2, 3, 4) {
		t.Error("SampleSeed is not a deterministic function of all its inputs")
	}
}
