package data

import (
	"context"
	"fmt"
)

// ExecJob is one program to run against a list of assert tests.
type ExecJob struct {
	ID      string
	Program string
	Tests   []string
}

// ExecResult is the verdict for one ExecJob. PerTest[i] is true when test i
// passed; PassRate is passed/len(Tests) (0 for no tests).
type ExecResult struct {
	ID       string
	PerTest  []bool
	PassRate float64
	// Status names why tests failed when the whole program failed
	// (e.g. "timeout", "syntax_error"); empty otherwise.
	Status string
}

// Executor runs programs against tests. A failing test is a verdict, not an
// error; an error means execution itself could not happen (e.g. Python
// missing). Results are returned in job order.
type Executor interface {
	Execute(ctx context.Context, jobs []ExecJob) ([]ExecResult, error)
}

// passRate is passed/len(perTest), 0 for no tests.
func passRate(perTest []bool) float64 {
	if len(perTest) == 0 {
		return 0
	}
	n := 0
	for _, ok := range perTest {
		if ok {
			n++
		}
	}
	return float64(n) / float64(len(perTest))
}

// checkResults validates what an Executor returned against its jobs.
func checkResults(jobs []ExecJob, res []ExecResult) error {
	if len(res) != len(jobs) {
		return fmt.Errorf("data: executor returned %d results for %d jobs", len(res), len(jobs))
	}
	for i := range jobs {
		if len(res[i].PerTest) != len(jobs[i].Tests) {
			return fmt.Errorf("data: executor job %s: %d verdicts for %d tests", jobs[i].ID, len(res[i].PerTest), len(jobs[i].Tests))
		}
	}
	return nil
}
