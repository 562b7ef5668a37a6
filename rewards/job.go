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

// Job is one program and its tests, in one of five modes (a job that sets
// the fields of two modes is an error naming its ID; see Validate):
//
//   - asserts (AceCoder / MBPP): Program and Tests, each test a Python
//     statement, usually `assert f(x) == y`; Setup runs after the program.
//   - HumanEval: Prompt, Completion (or Program), Test (a module defining
//     `check(candidate)`) and EntryPoint. A check body made only of
//     asserts yields one verdict per assert that uses the candidate; any
//     other body runs as the single test `check(<entry point>)`.
//   - value cases (EvalPlus base_input/plus_input): Program (or Prompt +
//     Completion), EntryPoint and Calls, each call a JSON array of
//     positional arguments; one verdict per call. Expected holds one
//     output per call in the form Runner.Outputs gives them (the canonical
//     solution's outputs, computed in the sandbox); the candidate's outputs
//     are compared with them outside the sandbox (exact, floats within
//     Atol; see valueMatch). With Outputs set instead, the job computes
//     the program's outputs (Result.Values) and judges nothing.
//   - stdin/stdout cases (LiveCodeBench, CodeContests, APPS): Program and
//     IO; the program runs as __main__ once per case with the case's input
//     on stdin, and its stdout is compared outside the sandbox with the
//     case's output (see outputMatch). Output never enters the sandbox.
//   - unittest (BigCodeBench): Program and UnitTest, a module defining
//     unittest.TestCase classes that use the program's names; one verdict
//     per test method, named Class.method (Verdict.Name).
type Job struct {
	ID      string        `json:"id"`
	Program string        `json:"program,omitempty"`
	Tests   []string      `json:"tests,omitempty"`
	Setup   string        `json:"setup,omitempty"` // run after the program, before the tests (not in stdin/stdout mode)
	Timeout time.Duration `json:"-"`               // per test; zero means the runner's default

	Prompt     string `json:"prompt,omitempty"`
	Completion string `json:"completion,omitempty"`
	Test       string `json:"test,omitempty"`
	EntryPoint string `json:"entry_point,omitempty"` // the function under test (HumanEval and value cases)

	// Calls are the value cases: each a JSON array of the positional
	// arguments of one call of EntryPoint (standard JSON: no NaN or
	// Infinity tokens). Each call gets fresh arguments, decoded anew, so a
	// program that mutates its arguments does not change later calls.
	Calls []json.RawMessage `json:"calls,omitempty"`
	// Expected holds one output per call: the Value of the CallOutput that
	// Runner.Outputs returned for that call on the reference program (the
	// sandbox's tagged serialisation of a built-in value, e.g.
	// ["l", [["i", "0x1"], ["f", "0x1.8p+1"]]]).
	Expected []json.RawMessage `json:"expected,omitempty"`
	// Atol is EvalPlus's absolute tolerance for float outputs (0: exact,
	// except that an expected float or non-empty list/tuple of floats gets
	// 1e-6, as EvalPlus does).
	Atol float64 `json:"atol,omitempty"`
	// Outputs makes a value-case job compute the program's outputs
	// (Result.Values, one per call) instead of judging them; Expected must
	// then be empty. Runner.Outputs sets it.
	Outputs bool `json:"outputs,omitempty"`

	// IO are the stdin/stdout cases.
	IO []IOCase `json:"io,omitempty"`

	// UnitTest is a test module defining unittest.TestCase classes; it
	// runs after the program, in a namespace that sees the program's names.
	UnitTest string `json:"unittest,omitempty"`
}

// IOCase is one stdin/stdout case: the program reads Input on stdin and
// must print Output.
type IOCase struct {
	Input  string `json:"input"`
	Output string `json:"output"`
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
	// Name names the test where the job's tests have names: Class.method
	// for unittest jobs.
	Name string `json:"name,omitempty"`
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
	// Values are the program's outputs, one per call, in a job with
	// Outputs set: each the tagged serialisation of the returned value, or
	// null where the call's verdict is not pass.
	Values []json.RawMessage `json:"values,omitempty"`
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
