package rewards

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"syscall"
	"time"
)

// testKind says where a test's assertion is decided.
type testKind string

const (
	kindEq     testKind = "eq"     // `assert <expr> == <literal>`: value compared outside
	kindInside testKind = "inside" // anything else: run inside the sandbox
	kindBad    testKind = "bad"    // does not parse
	kindCall   testKind = "call"   // a value case: Code is the arguments' JSON; the value is compared outside
	kindIO     testKind = "io"     // a stdin/stdout case: Code is the input; stdout is compared outside
	kindUnit   testKind = "unit"   // a unittest method, Code Class.method: run inside
)

// analysedTest is a test ready to run. For kindEq, Code is the expression
// alone and want the expected value, which never enters the sandbox; so
// do a value case's want and a stdin/stdout case's stdout.
type analysedTest struct {
	Kind   testKind `json:"kind"`
	Code   string   `json:"code,omitempty"`
	Reason string   `json:"-"`
	want   pyValue
	wantOK bool
	atol   float64 // kindCall: EvalPlus's tolerance
	record bool    // kindCall: keep the value (Job.Outputs) instead of judging it
	stdout string  // kindIO: the expected output
}

// inside reports whether the test's verdict is decided in the sandbox.
func (at analysedTest) inside() bool {
	switch at.Kind {
	case kindEq, kindCall, kindIO:
		return false
	}
	return true
}

// analyzer is a trusted Python process that only parses tests (with `ast`,
// never executing them); one-line `assert <expr> == <literal>` tests are
// classified in Go (quickAnalyse) without it. Results are cached by test
// text, since RL samples many programs per question.
type analyzer struct {
	mu    sync.Mutex
	p     *proc
	start func() (*proc, error)
	tests map[string]analysedTest
	he    map[[2]string]heSplit
	units map[string]unitSplit
}

type unitSplit struct {
	Tests []string `json:"tests"` // Class.method
	Error string   `json:"error"` // the module does not parse
}

type heSplit struct {
	Tests []string `json:"tests"`
	Param string   `json:"param"` // check's parameter name, which the tests use
}

const analyzerCacheMax = 200_000

func newAnalyzer(ctx context.Context, python string) *analyzer {
	return &analyzer{
		start: func() (*proc, error) {
			return startProc(ctx, python, "analyze", nil, &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL})
		},
		tests: map[string]analysedTest{},
		he:    map[[2]string]heSplit{},
		units: map[string]unitSplit{},
	}
}

// call runs one request, (re)starting the process when needed.
func (a *analyzer) call(req, reply any) error {
	if a.p == nil {
		p, err := a.start()
		if err != nil {
			return err
		}
		a.p = p
	}
	if err := a.p.call(req, reply, time.Now().Add(30*time.Second)); err != nil {
		a.p.kill()
		a.p = nil
		return fmt.Errorf("rewards: analyzer: %w", err)
	}
	return nil
}

// analyse classifies tests, in order.
func (a *analyzer) analyse(tests []string) ([]analysedTest, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.tests)+len(tests) > analyzerCacheMax {
		clear(a.tests)
	}
	var missing []string
	for _, t := range tests {
		if _, ok := a.tests[t]; ok {
			continue
		}
		if q, ok := quickAnalyse(t); ok {
			a.tests[t] = q
		} else {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		done, err := a.python(missing)
		if err != nil {
			return nil, err
		}
		for i, t := range done {
			a.tests[missing[i]] = t
		}
	}
	out := make([]analysedTest, len(tests))
	for i, t := range tests {
		out[i] = a.tests[t]
	}
	return out, nil
}

// python classifies tests with the Python analyzer (a.mu held).
func (a *analyzer) python(tests []string) ([]analysedTest, error) {
	var reply struct {
		Tests []struct {
			Kind   testKind        `json:"kind"`
			Expr   string          `json:"expr"`
			Code   string          `json:"code"`
			Want   json.RawMessage `json:"want"`
			Reason string          `json:"reason"`
		} `json:"tests"`
	}
	if err := a.call(map[string]any{"tests": tests}, &reply); err != nil {
		return nil, err
	}
	if len(reply.Tests) != len(tests) {
		return nil, fmt.Errorf("rewards: analyzer returned %d results for %d tests", len(reply.Tests), len(tests))
	}
	out := make([]analysedTest, len(tests))
	for i, r := range reply.Tests {
		out[i] = analysedTest{Kind: r.Kind, Code: r.Code, Reason: r.Reason}
		if r.Kind == kindEq {
			want, err := decodeValue(r.Want)
			if err != nil {
				return nil, fmt.Errorf("rewards: analyzer literal: %w", err)
			}
			out[i].Code, out[i].want, out[i].wantOK = r.Expr, want, true
		}
	}
	return out, nil
}

// splitHumanEval turns a HumanEval test module into setup code and tests.
func (a *analyzer) splitHumanEval(test, entryPoint string) (heSplit, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := [2]string{test, entryPoint}
	if s, ok := a.he[key]; ok {
		return s, nil
	}
	var s heSplit
	req := map[string]any{"he": map[string]string{"test": test, "entry_point": entryPoint}}
	if err := a.call(req, &s); err != nil {
		return s, err
	}
	if len(a.he) > analyzerCacheMax/100 {
		clear(a.he)
	}
	a.he[key] = s
	return s, nil
}

// unitTests lists the test methods of a unittest module.
func (a *analyzer) unitTests(module string) (unitSplit, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.units[module]; ok {
		return s, nil
	}
	var s unitSplit
	if err := a.call(map[string]any{"unittest": module}, &s); err != nil {
		return s, err
	}
	if len(a.units) > analyzerCacheMax/100 {
		clear(a.units)
	}
	a.units[module] = s
	return s, nil
}

func (a *analyzer) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.p != nil {
		a.p.kill()
		a.p = nil
	}
}
