package eval

import (
	"math"
	"testing"
)

// binom computes C(n, k) exactly for small values, as an independent
// reference for PassAtK.
func binom(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

func TestPassAtKByHand(t *testing.T) {
	tests := []struct {
		name    string
		n, c, k int
		want    float64
	}{
		{"none pass", 10, 0, 1, 0},
		{"all pass", 10, 10, 5, 1},
		{"pass@1 is c/n", 10, 3, 1, 0.3},
		{"n=5 c=2 k=2", 5, 2, 2, 1 - 3.0/10}, // C(3,2)/C(5,2) = 3/10
		{"n=4 c=1 k=4", 4, 1, 4, 1},
		{"n=20 c=3 k=10", 20, 3, 10, 1 - binom(17, 10)/binom(20, 10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PassAtK(tc.n, tc.c, tc.k)
			if err != nil || math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("PassAtK(%d,%d,%d) = %v, %v; want %v", tc.n, tc.c, tc.k, got, err, tc.want)
			}
		})
	}
	for _, bad := range [][3]int{{5, 1, 6}, {0, 0, 1}, {5, 6, 1}, {5, 1, 0}} {
		if _, err := PassAtK(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("PassAtK%v: want an error", bad)
		}
	}
	mean, err := MeanPassAtK([]int{4, 4}, []int{1, 3}, 1)
	if err != nil || math.Abs(mean-0.5) > 1e-12 {
		t.Errorf("MeanPassAtK = %v, %v; want 0.5", mean, err)
	}
}

func TestBestOfNTableByHand(t *testing.T) {
	tasks := []TaskSamples{
		// RM picks sample 2 (passes) at N=4; at N=2 picks sample 0 (fails).
		{Passed: []bool{false, false, true, false}, Scores: []float64{0.5, 0.1, 0.9, 0.2}, GreedyPassed: false},
		// Nothing passes: oracle 0.
		{Passed: []bool{false, false, false, false}, Scores: []float64{1, 2, 3, 4}, GreedyPassed: false},
		// Greedy passes; RM picks sample 3 (fails) at N=4, sample 1 (passes) at N=2.
		{Passed: []bool{true, true, true, false}, Scores: []float64{0, 1, 0.5, 7}, GreedyPassed: true},
		// Tie between samples 0 and 1: the earliest (0, passes) is chosen.
		{Passed: []bool{true, false, false, false}, Scores: []float64{3, 3, 1, 1}, GreedyPassed: false},
	}
	rows, err := BestOfNTable(tasks, []int{2, 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []BestOfN{
		{N: 2, Greedy: 25, Average: (0 + 0 + 1 + 0.5) / 4 * 100, Oracle: 50, RM: 50},
		{N: 4, Greedy: 25, Average: (0.25 + 0 + 0.75 + 0.25) / 4 * 100, Oracle: 75, RM: 50},
	}
	for i := range want {
		g, w := rows[i], want[i]
		if g.N != w.N || math.Abs(g.Greedy-w.Greedy) > 1e-9 || math.Abs(g.Average-w.Average) > 1e-9 ||
			math.Abs(g.Oracle-w.Oracle) > 1e-9 || math.Abs(g.RM-w.RM) > 1e-9 {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	if d := rows[1].Delta(); math.Abs(d-25) > 1e-9 {
		t.Errorf("delta = %v, want 25", d)
	}
	if _, err := BestOfNTable(tasks, []int{8}); err == nil {
		t.Error("N larger than the samples must be an error")
	}
}
