// Package eval measures policies and reward models on benchmark files:
// greedy pass@1, sampled pass@k (the unbiased estimator of Chen et al.
// 2021), and best-of-N selection by a reward model with the columns of the
// AceCoder paper's Table 2 (Greedy, Average, Oracle, RM@N). The functions in
// this file are pure; the readers and runners live beside them.
package eval

import (
	"fmt"
	"math"
)

// PassAtK is the unbiased estimator of pass@k from n samples of which c
// passed: 1 − C(n−c, k)/C(n, k), computed as a running product for
// numerical stability. k > n is an error.
func PassAtK(n, c, k int) (float64, error) {
	if n <= 0 || k <= 0 || k > n || c < 0 || c > n {
		return 0, fmt.Errorf("eval: pass@%d needs 0 < k ≤ n and 0 ≤ c ≤ n, got n=%d c=%d", k, n, c)
	}
	if n-c < k {
		return 1, nil
	}
	// C(n−c, k)/C(n, k) = Π_{i=n−c+1}^{n} (1 − k/i)
	prod := 1.0
	for i := n - c + 1; i <= n; i++ {
		prod *= 1 - float64(k)/float64(i)
	}
	return 1 - prod, nil
}

// MeanPassAtK averages PassAtK over tasks: ns[i] samples with cs[i] passing.
func MeanPassAtK(ns, cs []int, k int) (float64, error) {
	if len(ns) != len(cs) || len(ns) == 0 {
		return 0, fmt.Errorf("eval: %d sample counts for %d pass counts", len(ns), len(cs))
	}
	sum := 0.0
	for i := range ns {
		p, err := PassAtK(ns[i], cs[i], k)
		if err != nil {
			return 0, fmt.Errorf("task %d: %w", i, err)
		}
		sum += p
	}
	return sum / float64(len(ns)), nil
}

// TaskSamples holds, for one task, whether each of its N samples passed
// every test, the reward model's score of each, and whether the greedy
// completion passed.
type TaskSamples struct {
	Passed       []bool
	Scores       []float64
	GreedyPassed bool
}

// BestOfN is one row of Table 2 for one N: percentages over tasks.
type BestOfN struct {
	N       int
	Greedy  float64 // greedy pass@1
	Average float64 // mean over tasks of the fraction of the first N samples that pass
	Oracle  float64 // pass@N: some sample among the first N passes
	RM      float64 // the highest-scoring of the first N samples passes (ties: the earliest)
}

// Delta is RM@N minus greedy, in points.
func (b BestOfN) Delta() float64 { return b.RM - b.Greedy }

// SelectBest returns the index of the highest score among scores[:n];
// ties go to the earliest sample, so the choice is deterministic.
func SelectBest(scores []float64, n int) int {
	best := 0
	for i := 1; i < n; i++ {
		if scores[i] > scores[best] || (math.IsNaN(scores[best]) && !math.IsNaN(scores[i])) {
			best = i
		}
	}
	return best
}

// BestOfNTable computes the Table-2 columns for every n in ns, using the
// first n samples of each task. Every task needs at least max(ns) samples.
func BestOfNTable(tasks []TaskSamples, ns []int) ([]BestOfN, error) {
	if len(tasks) == 0 {
		return nil, fmt.Errorf("eval: no tasks")
	}
	var rows []BestOfN
	for _, n := range ns {
		row := BestOfN{N: n}
		for i, t := range tasks {
			if len(t.Passed) < n || len(t.Scores) < n {
				return nil, fmt.Errorf("eval: task %d has %d samples and %d scores, want at least %d", i, len(t.Passed), len(t.Scores), n)
			}
			if t.GreedyPassed {
				row.Greedy++
			}
			pass := 0
			for _, p := range t.Passed[:n] {
				if p {
					pass++
				}
			}
			row.Average += float64(pass) / float64(n)
			if pass > 0 {
				row.Oracle++
			}
			if t.Passed[SelectBest(t.Scores, n)] {
				row.RM++
			}
		}
		k := 100 / float64(len(tasks))
		row.Greedy, row.Average, row.Oracle, row.RM = row.Greedy*k, row.Average*k, row.Oracle*k, row.RM*k
		rows = append(rows, row)
	}
	return rows, nil
}
