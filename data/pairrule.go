package data

// This file holds the pure pair and hard-subset rules. AceCoder states the
// pair rule as 1[s_i > s_j + 0.4, s_i > 0.8, s_j > 0]; this project uses the
// thresholds as inclusive bounds on the chosen rate and the gap
// (chosen ≥ MinChosen, chosen − rejected ≥ MinGap) and strict on the
// rejected rate (rejected > MinRejected), all as flags. Comparisons allow
// rateEps so that rates like 3/5 − 1/5 meet a 0.4 gap despite rounding.

import (
	"math"
	"sort"
)

const rateEps = 1e-9

// PairRule holds the pair-selection thresholds.
type PairRule struct {
	MinChosen   float64 // chosen pass rate at least this (0.8)
	MinGap      float64 // chosen − rejected at least this (0.4)
	MinRejected float64 // rejected pass rate strictly above this (0)
}

// DefaultPairRule is AceCoder's rule.
func DefaultPairRule() PairRule { return PairRule{MinChosen: 0.8, MinGap: 0.4, MinRejected: 0} }

// Pair is one selected pair of completion indices.
type Pair struct{ Chosen, Rejected int }

// SelectPairs returns every pair (i, j), i < j in completion order, that
// meets the rule, with the higher pass rate as chosen. Pairs whose
// completions are identical, and repeats of a (chosen, rejected) text pair
// already selected, are skipped. rates and texts are indexed alike ([n]).
func SelectPairs(rates []float64, texts []string, rule PairRule) []Pair {
	var out []Pair
	seen := map[[2]string]bool{}
	for i := 0; i < len(rates); i++ {
		for j := i + 1; j < len(rates); j++ {
			hi, lo := i, j
			if rates[j] > rates[i] {
				hi, lo = j, i
			}
			if rates[hi] < rule.MinChosen-rateEps || rates[hi]-rates[lo] < rule.MinGap-rateEps || rates[lo] <= rule.MinRejected+rateEps {
				continue
			}
			key := [2]string{texts[hi], texts[lo]}
			if texts[hi] == texts[lo] || seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Pair{Chosen: hi, Rejected: lo})
		}
	}
	return out
}

// meanStd returns the mean and population standard deviation of xs
// (0, 0 for none).
func meanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)))
}

// median of xs (the mean of the two middle values for an even count; 0 for
// none). xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// HardSubset picks AceCoder's RL subset from per-question pass rates
// (rates[q] = the pass rates of question q's programs): first keep questions
// whose mean pass rate is ≤ the median of all means, then, among those, keep
// questions whose pass-rate std is ≥ the median std of what remains.
// Questions without programs are never kept. Returns kept indices in order.
func HardSubset(rates [][]float64) []int {
	var idx []int
	var means, stds []float64
	for q, r := range rates {
		if len(r) == 0 {
			continue
		}
		m, s := meanStd(r)
		idx, means, stds = append(idx, q), append(means, m), append(stds, s)
	}
	medMean := median(means)
	var hard []int
	var hardStds []float64
	for k, q := range idx {
		if means[k] <= medMean+rateEps {
			hard, hardStds = append(hard, q), append(hardStds, stds[k])
		}
	}
	medStd := median(hardStds)
	var out []int
	for k, q := range hard {
		if hardStds[k] >= medStd-rateEps {
			out = append(out, q)
		}
	}
	return out
}
