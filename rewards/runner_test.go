package rewards

import (
	"context"
	"testing"
	"time"
)

// newTestRunner starts a runner for a test and closes it at cleanup.
func newTestRunner(t testing.TB, opts RunnerOptions) *Runner {
	t.Helper()
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	r, err := NewRunner(context.Background(), opts)
	if err != nil {
		t.Fatalf("NewRunner: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func statuses(res Result) []Status {
	out := make([]Status, len(res.Tests))
	for i, v := range res.Tests {
		out[i] = v.Status
	}
	return out
}

func TestRunnerBasic(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{})
	res, err := r.Run(context.Background(), []Job{{
		ID:      "add",
		Program: "def add(a, b):\n    return a + b\n",
		Tests: []string{
			"assert add(1, 2) == 3",
			"assert add(1, 2) == 4",
			"assert add('a', 'b') == 'ab'",
			"assert add(1, 2) != 4",
			"assert add(1) == 1",
			"assert add(2, 2) > 10",
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v protections=%v", res[0], r.Protections())
}
