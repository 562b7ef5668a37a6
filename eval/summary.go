package eval

import (
	"fmt"
	"slices"

	"acecoder/rewards"
)

// Status is the outcome of one sample, as the summary counts it.
type Status string

// Sample outcomes. A sample passes when every test passes; otherwise it
// timed out when any test did (or was skipped because the program's time
// budget was spent), it errored when any test raised or crashed, and it
// failed otherwise.
const (
	StatusPass    Status = "pass"
	StatusFail    Status = "fail"
	StatusError   Status = "error"
	StatusTimeout Status = "timeout"
)

// Statuses lists the outcomes in report order.
var Statuses = []Status{StatusPass, StatusFail, StatusError, StatusTimeout}

// Classify is the Status of a result (base and plus tests together).
func Classify(r rewards.Result) Status {
	if r.AllPassed {
		return StatusPass
	}
	s := StatusFail
	for _, v := range r.Tests {
		switch v.Status {
		case rewards.StatusTimeout, rewards.StatusSkipped:
			return StatusTimeout
		case rewards.StatusError, rewards.StatusCrash:
			s = StatusError
		}
	}
	return s
}

// Summary is the outcome of an evaluation; percentages.
type Summary struct {
	Tasks int `json:"tasks"`
	// Greedy is greedy pass@1 over the tasks with a greedy sample (0 when
	// none has: see GreedyTasks).
	Greedy      float64 `json:"greedy_pass@1"`
	GreedyTasks int     `json:"greedy_tasks"`
	// GreedyPlus is greedy pass@1 on base + plus tests (evalplus's
	// HumanEval+ / MBPP+ column), when the tasks have plus tests.
	GreedyPlus *float64 `json:"greedy_plus_pass@1,omitempty"`
	// PassAtK and PlusPassAtK are the unbiased pass@k of the sampled
	// completions ("pass@10": ...), for each k no larger than the fewest
	// samples of a task.
	PassAtK     map[string]float64 `json:"pass@k,omitempty"`
	PlusPassAtK map[string]float64 `json:"plus_pass@k,omitempty"`
	SamplesPer  int                `json:"samples_per_task,omitempty"`
	// Counts are the samples (greedy and sampled) by Status.
	Counts map[Status]int `json:"counts"`
}

// Summarise computes greedy pass@1 and pass@k (percent) over checked
// completions: greedy[i] holds task i's greedy completion (or none),
// sampled[i] its samples. Plus-test columns are filled when any task has
// plus tests (tasks may be nil: no plus tests).
func Summarise(greedy, sampled [][]Completion, ks []int, tasks ...Task) (Summary, error) {
	n := max(len(greedy), len(sampled))
	s := Summary{Tasks: n, Counts: map[Status]int{}}
	plus := slices.ContainsFunc(tasks, Task.HasPlus)
	greedyPlus := 0.0
	for _, g := range greedy {
		if len(g) == 0 {
			continue
		}
		s.GreedyTasks++
		if g[0].Passed {
			s.Greedy++
		}
		if g[0].PlusPassed {
			greedyPlus++
		}
	}
	if s.GreedyTasks > 0 {
		s.Greedy = 100 * s.Greedy / float64(s.GreedyTasks)
		if plus {
			v := 100 * greedyPlus / float64(s.GreedyTasks)
			s.GreedyPlus = &v
		}
	}
	for _, cs := range append(slices.Clone(greedy), sampled...) {
		for _, c := range cs {
			if c.Status != "" {
				s.Counts[c.Status]++
			}
		}
	}
	var ns, cs, ps []int
	for _, comp := range sampled {
		if len(comp) == 0 {
			continue
		}
		c, p := 0, 0
		for _, x := range comp {
			if x.Passed {
				c++
			}
			if x.PlusPassed {
				p++
			}
		}
		ns, cs, ps = append(ns, len(comp)), append(cs, c), append(ps, p)
	}
	if len(ns) == 0 {
		return s, nil
	}
	s.SamplesPer = slices.Min(ns)
	s.PassAtK = map[string]float64{}
	if plus {
		s.PlusPassAtK = map[string]float64{}
	}
	for _, k := range ks {
		if k > s.SamplesPer || k <= 0 {
			continue
		}
		key := fmt.Sprintf("pass@%d", k)
		p, err := MeanPassAtK(ns, cs, k)
		if err != nil {
			return s, err
		}
		s.PassAtK[key] = 100 * p
		if plus {
			if p, err = MeanPassAtK(ns, ps, k); err != nil {
				return s, err
			}
			s.PlusPassAtK[key] = 100 * p
		}
	}
	return s, nil
}
