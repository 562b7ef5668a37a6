package data

import (
	"context"
	"fmt"

	"acecoder/rewards"
)

// RunnerExecutor adapts the sandboxed rewards.Runner to Executor. A test
// counts as passed only with rewards.StatusPass.
type RunnerExecutor struct {
	Runner *rewards.Runner
}

// NewRunnerExecutor wraps r.
func NewRunnerExecutor(r *rewards.Runner) *RunnerExecutor { return &RunnerExecutor{Runner: r} }

// Execute implements Executor.
func (e *RunnerExecutor) Execute(ctx context.Context, jobs []ExecJob) ([]ExecResult, error) {
	rj := make([]rewards.Job, len(jobs))
	for i, j := range jobs {
		rj[i] = rewards.Job{ID: j.ID, Program: j.Program, Tests: j.Tests}
	}
	res, err := e.Runner.Run(ctx, rj)
	if err != nil {
		return nil, fmt.Errorf("data: runner: %w", err)
	}
	out := make([]ExecResult, len(jobs))
	for i, r := range res {
		out[i] = fromRunnerResult(jobs[i], r)
	}
	return out, nil
}

// fromRunnerResult converts verdicts; Status is set when every test ended
// with the same non-pass status (the whole program failed the same way).
func fromRunnerResult(job ExecJob, r rewards.Result) ExecResult {
	per := make([]bool, len(job.Tests))
	var common rewards.Status
	for i, v := range r.Tests {
		if i < len(per) {
			per[i] = v.Status == rewards.StatusPass
		}
		switch {
		case i == 0:
			common = v.Status
		case v.Status != common:
			common = ""
		}
	}
	res := ExecResult{ID: job.ID, PerTest: per, PassRate: passRate(per)}
	if common != rewards.StatusPass {
		res.Status = string(common)
	}
	return res
}
