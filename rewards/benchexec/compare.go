package benchexec

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// CompareOptions says how to compare acecoder exec with the harness.
type CompareOptions struct {
	Binary  string // the acecoder binary
	Python  string // the interpreter both use
	Jobs    string // the jobs file
	Workers int
	Timeout time.Duration // per test, for both
	Rounds  int
}

// Round is one run of each, on the same file, one right after the other.
type Round struct{ Exec, Harness RunStats }

// Ratio is exec's programs/s over the harness's.
func (r Round) Ratio() float64 { return r.Exec.Rate() / r.Harness.Rate() }

// Compare runs `acecoder exec` and the harness Rounds times each,
// alternating which goes first so that both see the same machine load,
// and writes a table row per round to w.
func Compare(ctx context.Context, o CompareOptions, w io.Writer) ([]Round, error) {
	const row = "%-5v  %15v  %18v  %5v  %11v  %14v\n"
	fmt.Fprintf(w, row, "round", "exec programs/s", "harness programs/s", "ratio", "exec passed", "harness passed")
	var rounds []Round
	for i := range o.Rounds {
		var r Round
		var err error
		runExec := func() error {
			r.Exec, err = RunExec(ctx, o.Binary, o.Jobs, o.Workers, o.Timeout)
			return err
		}
		runHarness := func() error {
			r.Harness, err = RunHarness(ctx, o.Python, o.Jobs, o.Workers, o.Timeout)
			return err
		}
		first, second := runExec, runHarness
		if i%2 == 1 {
			first, second = runHarness, runExec
		}
		if err := first(); err != nil {
			return rounds, err
		}
		if err := second(); err != nil {
			return rounds, err
		}
		rounds = append(rounds, r)
		fmt.Fprintf(w, row, i+1, fmt.Sprintf("%.1f", r.Exec.Rate()), fmt.Sprintf("%.1f", r.Harness.Rate()), fmt.Sprintf("%.2f", r.Ratio()),
			fmt.Sprintf("%d/%d", r.Exec.Passed, r.Exec.Tests), fmt.Sprintf("%d/%d", r.Harness.Passed, r.Harness.Tests))
	}
	return rounds, nil
}

// MedianRatio is the median of the rounds' ratios.
func MedianRatio(rounds []Round) float64 {
	if len(rounds) == 0 {
		return 0
	}
	r := make([]float64, len(rounds))
	for i, x := range rounds {
		r[i] = x.Ratio()
	}
	slices.Sort(r)
	if len(r)%2 == 1 {
		return r[len(r)/2]
	}
	return (r[len(r)/2-1] + r[len(r)/2]) / 2
}

// WriteMix describes a workload, one row per part.
func WriteMix(w io.Writer, wl Workload) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  part\timports\tprograms\ttests")
	progs, tests := 0, 0
	for _, p := range wl.Mix {
		mod := p.Module
		if mod == "" {
			mod = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\n", p.Name, mod, p.Programs, p.Tests)
		progs, tests = progs+p.Programs, tests+p.Tests
	}
	fmt.Fprintf(tw, "  all\t\t%d\t%d\n", progs, tests)
	tw.Flush()
}

// FindSharedData looks for ../shared/data beside the working directory or
// any directory above it (the project keeps HumanEval and MBPP there);
// "" when there is none.
func FindSharedData() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "..", "shared", "data")
		if _, err := os.Stat(filepath.Join(p, "benchmarks")); err == nil {
			return filepath.Clean(p)
		}
		parent := filepath.Dir(dir)
		if parent == dir || strings.Count(dir, "/") < 1 {
			return ""
		}
		dir = parent
	}
}
