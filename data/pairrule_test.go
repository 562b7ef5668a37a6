package data

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelectPairs(t *testing.T) {
	rule := DefaultPairRule()
	tests := []struct {
		name  string
		rates []float64
		texts []string
		rule  PairRule
		want  []Pair
	}{
		{"basic", []float64{1, 0.5}, []string{"a", "b"}, rule, []Pair{{0, 1}}},
		{"higher is chosen", []float64{0.5, 1}, []string{"a", "b"}, rule, []Pair{{1, 0}}},
		{"rejected zero excluded", []float64{1, 0}, []string{"a", "b"}, rule, nil},
		{"chosen below 0.8", []float64{0.75, 0.25}, []string{"a", "b"}, rule, nil},
		{"gap below 0.4", []float64{1, 0.65}, []string{"a", "b"}, rule, nil},
		{"gap exactly 0.4 by rounding", []float64{0.8, 0.4}, []string{"a", "b"}, rule, []Pair{{0, 1}}},
		{"k/n rates", []float64{4.0 / 5, 2.0 / 5}, []string{"a", "b"}, rule, []Pair{{0, 1}}},
		{"chosen exactly 0.8", []float64{0.8, 0.2}, []string{"a", "b"}, rule, []Pair{{0, 1}}},
		// 0.95 − 0.55 is 0.3999999999999999 in float64; the 1e-9 tolerance
		// counts it as the 0.4 gap the rule states (upstream's plain >= drops it).
		{"gap 0.95 - 0.55 counts", []float64{0.95, 0.55}, []string{"a", "b"}, rule, []Pair{{0, 1}}},
		{"gap 19/20 - 11/20 counts", []float64{19.0 / 20, 11.0 / 20}, []string{"a", "b"}, rule, []Pair{{0, 1}}},
		{"gap 0.95 - 0.56 does not", []float64{0.95, 0.56}, []string{"a", "b"}, rule, nil},
		{"identical text skipped", []float64{1, 0.5}, []string{"x", "x"}, rule, nil},
		{"duplicate text pair once", []float64{1, 0.5, 1, 0.5}, []string{"a", "b", "a", "b"}, rule, []Pair{{0, 1}}},
		{"all pairs", []float64{1, 0.9, 0.2, 0.5}, []string{"a", "b", "c", "d"}, rule, []Pair{{0, 2}, {0, 3}, {1, 2}, {1, 3}}},
		{"custom thresholds", []float64{0.6, 0.1}, []string{"a", "b"}, PairRule{MinChosen: 0.5, MinGap: 0.5, MinRejected: 0}, []Pair{{0, 1}}},
		{"equal rates", []float64{1, 1}, []string{"a", "b"}, rule, nil},
		{"empty", nil, nil, rule, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, SelectPairs(tc.rates, tc.texts, tc.rule)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMedianMeanStd(t *testing.T) {
	tests := []struct {
		name          string
		xs            []float64
		med, mean, sd float64
	}{
		{"empty", nil, 0, 0, 0},
		{"odd", []float64{3, 1, 2}, 2, 2, math.Sqrt(2.0 / 3)},
		{"even", []float64{4, 1, 3, 2}, 2.5, 2.5, math.Sqrt(1.25)},
		{"constant", []float64{0.5, 0.5}, 0.5, 0.5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, s := meanStd(tc.xs)
			if got := median(tc.xs); math.Abs(got-tc.med) > 1e-12 {
				t.Errorf("median = %v, want %v", got, tc.med)
			}
			if math.Abs(m-tc.mean) > 1e-12 || math.Abs(s-tc.sd) > 1e-12 {
				t.Errorf("meanStd = %v, %v; want %v, %v", m, s, tc.mean, tc.sd)
			}
		})
	}
}

// hardReference is a direct transcription of the rule with sorting, used to
// check HardSubset.
func hardReference(rates [][]float64) []int {
	type q struct {
		i         int
		mean, std float64
	}
	var all []q
	for i, r := range rates {
		if len(r) > 0 {
			m, s := meanStd(r)
			all = append(all, q{i, m, s})
		}
	}
	var means []float64
	for _, x := range all {
		means = append(means, x.mean)
	}
	mm := median(means)
	var low []q
	var stds []float64
	for _, x := range all {
		if x.mean <= mm+rateEps {
			low = append(low, x)
			stds = append(stds, x.std)
		}
	}
	ms := median(stds)
	var out []int
	for _, x := range low {
		if x.std >= ms-rateEps {
			out = append(out, x.i)
		}
	}
	return out
}

func TestHardSubset(t *testing.T) {
	tests := []struct {
		name  string
		rates [][]float64
		want  []int
	}{
		{"empty", nil, nil},
		{"single", [][]float64{{0.5, 1}}, []int{0}},
		{
			// means 1, 0.5, 0.5, 0, 0.75 → median 0.5 keeps q1, q2, q3;
			// stds 0.5, 0, 0 → median 0 keeps all three.
			"mean then std",
			[][]float64{{1, 1}, {0, 1}, {0.5, 0.5}, {0, 0}, {0.5, 1}},
			[]int{1, 2, 3},
		},
		{
			// means 0.25, 0.25, 0.25, 0.9 → median 0.25 keeps q0..q2;
			// stds 0.25, 0, 0.25 → median 0.25 keeps q0, q2.
			"std cut",
			[][]float64{{0, 0.5}, {0.25, 0.25}, {0.5, 0}, {0.8, 1}},
			[]int{0, 2},
		},
		{"no programs never kept", [][]float64{{}, {0.2, 0.4}, {0.9, 0.9}}, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := HardSubset(tc.rates)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(hardReference(tc.rates), got); diff != "" {
				t.Errorf("differs from reference (-ref +got):\n%s", diff)
			}
		})
	}
}

func TestSamplePassRate(t *testing.T) {
	tests := []struct {
		name        string
		perTest     []bool
		original    int
		denominator string
		want        float64
	}{
		{"filtered", []bool{true, true, false, true}, 10, DenominatorFiltered, 0.75},
		{"original divides by synthesized count", []bool{true, true, false, true}, 10, DenominatorOriginal, 0.3},
		{"original unknown falls back", []bool{true, false}, 0, DenominatorOriginal, 0.5},
		{"no tests", nil, 5, DenominatorFiltered, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := samplePassRate(tc.perTest, tc.original, tc.denominator); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("samplePassRate = %v, want %v", got, tc.want)
			}
		})
	}
}
