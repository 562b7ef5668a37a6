package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"acecoder/internal/cli"
	"acecoder/internal/rowid"
	"acecoder/progress"
	"acecoder/queue"
	"acecoder/rewards"
)

func init() { register(newExecCmd) }

type execFlags struct {
	in, out, reward, python string
	workers                 int
	timeout                 time.Duration
	nats                    queue.ConnOptions // --nats URL: workers elsewhere; empty: embedded queue and local workers
	queue                   queue.KindConfig
}

func newExecCmd(g *cli.Globals) *cobra.Command {
	var f execFlags
	cmd := &cobra.Command{
		Use:   "exec",
		Short: "execute programs against their tests in the sandbox",
		Long: `Reads JSON lines of jobs (rewards.Job), one of:
  {"id", "program", "tests": [...], "setup"}                     asserts
  {"id", "prompt", "completion", "test", "entry_point"}          HumanEval check
  {"id", "program", "entry_point", "calls": [[args]...],
   "expected": [...], "atol"}                                    value cases (EvalPlus)
  {"id", "program", "entry_point", "calls": [...], "outputs": true}
                                                                 the program's outputs
  {"id", "program", "io": [{"input", "output"}...]}              stdin/stdout cases
  {"id", "program", "unittest": "<test module>"}                 unittest (BigCodeBench)
and writes, in input order, {"id", "reward", "pass_rate", "passed", "total",
"tests": [{"status", "reason", "name"}...], "values"} ("values": the outputs of
an outputs job, to use as another job's "expected"). A summary (programs/s,
tests/s, verdict counts) goes to stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.in == "" || f.out == "" {
				return cli.Usagef("exec: --in and --out are required")
			}
			kind, err := rewards.ParseRewardKind(f.reward)
			if err != nil {
				return cli.UsageError{Err: err}
			}
			natsFromEnv(&f.nats)
			return runExec(cmd.Context(), f, kind, g.Quiet, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&f.in, "in", "", "input JSONL of jobs")
	cmd.Flags().StringVar(&f.out, "out", "", "output JSONL of results")
	cmd.Flags().IntVar(&f.workers, "exec-workers", 0, "sandboxed worker processes (default: one per CPU)")
	cmd.Flags().DurationVar(&f.timeout, "exec-timeout", 4*time.Second, "wall-clock limit per test")
	cmd.Flags().StringVar(&f.reward, "rule-reward", "pass_rate", "reward: pass_rate | binary")
	cmd.Flags().StringVar(&f.python, "python", "", "Python interpreter (default /usr/bin/python3, then python3 on PATH)")
	addNATSFlags(cmd.Flags(), &f.nats)
	addKindConfigFlags(cmd.Flags(), &f.queue)
	cli.Alias(cmd, "workers", "exec-workers")
	cli.Alias(cmd, "timeout", "exec-timeout")
	cli.Alias(cmd, "reward", "rule-reward")
	return cmd
}

type execOutput struct {
	ID       rowid.ID          `json:"id"` // as the input row wrote it: string or number`
	Reward   float64           `json:"reward"`
	PassRate float64           `json:"pass_rate"`
	Passed   int               `json:"passed"`
	Total    int               `json:"total"`
	Tests    []rewards.Verdict `json:"tests"`
	Values   []json.RawMessage `json:"values,omitempty"` // an outputs job's outputs, one per call
}

// readJobs reads the jobs and their ids as the rows wrote them (a row
// without one is named by its line number).
func readJobs(path string) ([]rewards.Job, []rowid.ID, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, cli.UsageError{Err: fmt.Errorf("exec: %w", err)}
	}
	defer f.Close()
	var jobs []rewards.Job
	var ids []rowid.ID
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var j rewards.Job
		var row struct {
			ID rowid.ID `json:"id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return nil, nil, fmt.Errorf("exec: %s:%d: %w", path, n, err)
		}
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			return nil, nil, fmt.Errorf("exec: %s:%d: %w", path, n, err)
		}
		if row.ID.IsZero() {
			row.ID = rowid.String(fmt.Sprint(n))
			j.ID = row.ID.String()
		}
		if err := j.Validate(); err != nil {
			return nil, nil, fmt.Errorf("exec: %s:%d: %w", path, n, err)
		}
		jobs, ids = append(jobs, j), append(ids, row.ID)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("exec: %s: %w", path, err)
	}
	return jobs, ids, nil
}

// sandboxGC sets the garbage collector's target for the commands that
// only drive the sandbox (exec, worker, serve-reward) unless GOGC is set:
// their heap is small and short-lived, and at the binaries' GOGC of 25
// (chosen for training's large buffers) the collector cost acecoder exec
// 0.5-0.8 ms of CPU per program, 15% of the total, on 2 cores.
func sandboxGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}

func runExec(ctx context.Context, f execFlags, kind rewards.RewardKind, quiet bool, stderr io.Writer) error {
	sandboxGC()
	jobs, ids, err := readJobs(f.in)
	if err != nil {
		return err
	}
	out, err := os.Create(f.out)
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	defer out.Close()
	r, err := queue.StartExec(ctx, queue.ExecOptions{Conn: f.nats, Config: f.queue, NoLocalWorker: f.nats.URL != "",
		Runner: rewards.RunnerOptions{Workers: f.workers, Timeout: f.timeout, Python: f.python}})
	if err != nil {
		return err
	}
	defer r.Close()
	in := rewards.Feed(ctx, jobs)
	w := bufio.NewWriter(out)
	start := time.Now()
	n, tests, counts, err := writeResults(ctx, r.Stream(ctx, in), jobs, ids, kind, json.NewEncoder(w), quiet)
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("exec: write: %w", err)
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stderr, "exec: %d programs, %d tests in %.1fs: %.1f programs/s, %.1f tests/s; %s\n",
		n, tests, secs, float64(n)/secs, float64(tests)/secs, formatCounts(counts))
	return out.Close()
}

// writeResults writes the results in input order as they arrive (in
// completion order) and counts the programs, tests and verdicts written.
func writeResults(ctx context.Context, results <-chan rewards.StreamResult, jobs []rewards.Job, ids []rowid.ID,
	kind rewards.RewardKind, enc *json.Encoder, quiet bool) (next, tests int, counts map[rewards.Status]int, err error) {
	bar := progress.New(len(jobs), "exec", progress.Options{Quiet: quiet})
	pending := map[int]rewards.Result{}
	counts = map[rewards.Status]int{}
	for sr := range results {
		if sr.Err != nil {
			return next, tests, counts, fmt.Errorf("exec: job %s: %w", jobs[sr.Index].ID, sr.Err)
		}
		bar.Add(1)
		pending[sr.Index] = sr.Result
		for ; ; next++ {
			res, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			for _, v := range res.Tests {
				counts[v.Status]++
			}
			tests += res.Total
			row := execOutput{ID: ids[next], Reward: rewards.RuleReward(res, kind), PassRate: res.PassRate,
				Passed: res.Passed, Total: res.Total, Tests: res.Tests, Values: res.Values}
			if err := enc.Encode(row); err != nil {
				return next, tests, counts, fmt.Errorf("exec: write: %w", err)
			}
		}
	}
	bar.Finish()
	return next, tests, counts, ctx.Err()
}

func formatCounts(counts map[rewards.Status]int) string {
	var parts []string
	for s, n := range counts {
		parts = append(parts, fmt.Sprintf("%s=%d", s, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
