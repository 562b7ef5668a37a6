package demo

import (
	"context"
	"strings"

	"acecoder/eval"
	"acecoder/extract"
	"acecoder/rewards"
	"acecoder/rollout"
)

// The sandboxed runner answers a program that is not valid UTF-8 with an
// error (a failed sandbox set-up) instead of a failing verdict, and a
// tiny policy can emit such bytes (a byte-level tokenizer's stray
// continuation byte). The demo therefore replaces invalid bytes with
// U+FFFD before a program runs: Python then fails it as a syntax error, a
// verdict. (Programs sent through the NATS queue are already made valid
// by its JSON encoding.)

// generate samples n completions per task with valid UTF-8 text.
func generate(ctx context.Context, ev *eval.Evaluator, tasks []eval.Task, n int, s rollout.Sampling) ([][]eval.Completion, error) {
	comps, err := ev.Generate(ctx, tasks, n, s)
	for _, cs := range comps {
		for j := range cs {
			cs[j].Text = strings.ToValidUTF8(cs[j].Text, "\uFFFD")
			cs[j].Program = strings.ToValidUTF8(cs[j].Program, "\uFFFD")
		}
	}
	return comps, err
}

// validProgram extracts the program of a completion, as valid UTF-8.
func validProgram(text, entry string) string {
	return strings.ToValidUTF8(extract.Program(text, entry), "\uFFFD")
}

// validRunner runs jobs on the demo's sandbox with valid UTF-8 programs
// (the RL stages' rule rewards).
type validRunner struct{ r *rewards.Runner }

func (v validRunner) Run(ctx context.Context, jobs []rewards.Job) ([]rewards.Result, error) {
	clean := make([]rewards.Job, len(jobs))
	for i, j := range jobs {
		j.Program = strings.ToValidUTF8(j.Program, "\uFFFD")
		j.Completion = strings.ToValidUTF8(j.Completion, "\uFFFD")
		clean[i] = j
	}
	return v.r.Run(ctx, clean)
}
