package rewards

import (
	"encoding/json"
	"fmt"
	"time"

	"acecoder/internal/rowid"
)

// Status is the verdict of one test.
type Status string

// Test verdicts. Only StatusPass counts towards the reward.
const (
	StatusPass    Status = "pass"    // the test really ran and held
	StatusFail    Status = "fail"    // the assertion did not hold (or the value was not comparable)
	StatusError   Status = "error"   // the program or the test raised an exception
	StatusTimeout Status = "timeout" // no result within the per-test wall limit
	StatusCrash   Status = "crash"   // the sandboxed process died or sent a corrupt record
	StatusSkipped Status = "skipped" // never ran: the program's time budget was spent
)

// Job is one program and its tests.
//
// Either Program and Tests are set (AceCoder / MBPP style: each test is a
// Python statement, usually `assert f(x) == y`), or the HumanEval fields
// Prompt, Completion, Test (a module defining `check(candidate)`) and
// EntryPoint. With the HumanEval fields, a check body made only of asserts
// yields one verdict per assert that uses the candidate; any other body runs
// as the single test `check(<entry point>)`.
type Job struct {
	ID      string        `json:"id"`
	Program string        `json:"program,omitempty"`
	Tests   []string      `json:"tests,omitempty"`
	Setup   string        `json:"setup,omitempty"` // run after the program, before the tests
	Timeout time.Duration `json:"-"`               // per test; zero means the runner's default

	Prompt     string `json:"prompt,omitempty"`
	Completion string `json:"completion,omitempty"`
	Test       string `json:"test,omitempty"`
	EntryPoint string `json:"entry_point,omitempty"`
}

// UnmarshalJSON reads a job whose id is a JSON string or number (MBPP
// rows number theirs); a number's text becomes the ID.
func (j *Job) UnmarshalJSON(b []byte) error {
	type plain Job
	var aux struct {
		*plain
		ID rowid.ID `json:"id"`
	}
	aux.plain = (*plain)(j)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	j.ID = aux.ID.String()
	return nil
}

// IsHumanEval reports whether the job uses the HumanEval fields.
func (j Job) IsHumanEval() bool { return j.Test != "" && j.EntryPoint != "" }

// Verdict is the outcome of one test.
type Verdict struct {
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Inside is true when the assertion itself was evaluated inside the
	// sandbox (any test not of the form `assert <expr> == <literal>`), so a
	// program that subverts its own interpreter could fake its outcome.
	// False means the value was compared with the literal outside.
	Inside bool `json:"inside,omitempty"`
}

// Result holds the verdicts of one job, in test order.
type Result struct {
	ID        string    `json:"id"`
	Tests     []Verdict `json:"tests"`
	Passed    int       `json:"passed"`
	Total     int       `json:"total"`
	PassRate  float64   `json:"pass_rate"`
	AllPassed bool      `json:"all_passed"`
	Output    string    `json:"output,omitempty"` // the program's stdout+stderr, capped; never used for verdicts
}

// summarise fills Passed, Total, PassRate and AllPassed from Tests.
func (r *Result) summarise() {
	r.Total = len(r.Tests)
	r.Passed = 0
	for _, v := range r.Tests {
		if v.Status == StatusPass {
			r.Passed++
		}
	}
	r.PassRate = 0
	if r.Total > 0 {
		r.PassRate = float64(r.Passed) / float64(r.Total)
	}
	r.AllPassed = r.Total > 0 && r.Passed == r.Total
}

// RewardKind selects how verdicts become a scalar reward.
type RewardKind string

// Reward kinds.
const (
	RewardPassRate RewardKind = "pass_rate" // passed/total, as AceCoder's scripts compute it (default)
	RewardBinary   RewardKind = "binary"    // 1 iff every test passed, as the paper states
)

// ParseRewardKind accepts "pass_rate" (also "") and "binary".
func ParseRewardKind(s string) (RewardKind, error) {
	switch RewardKind(s) {
	case "", RewardPassRate:
		return RewardPassRate, nil
	case RewardBinary:
		return RewardBinary, nil
	}
	return "", fmt.Errorf("rewards: unknown reward kind %q (want pass_rate or binary)", s)
}

// RuleReward is the rule reward of a result:
//
//	pass_rate: r = passed / total   (0 when there are no tests)
//	binary:    r = 1 if passed == total > 0 else 0
func RuleReward(r Result, kind RewardKind) float64 {
	if kind == RewardBinary {
		if r.AllPassed {
			return 1
		}
		return 0
	}
	return r.PassRate
}
