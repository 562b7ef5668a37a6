package trainer

import (
	"context"
	"fmt"
	"io"
	"time"

	"acecoder/eval"
	"acecoder/rollout"
	"acecoder/rundir"
)

// policyEval measures the actor's greedy pass@1 on held-out tasks
// (eval_data) during a train-policy run: answers from the trainer's own
// sampler, programs run by the run's runner, the percentage logged as
// eval/pass@1.
type policyEval struct {
	tasks   []eval.Task
	ev      *eval.Evaluator
	metrics *rundir.Metrics
	log     io.Writer
	at      func() int
	done    int // step of the last evaluation (-1: none)
}

func newPolicyEval(path string, t *PolicyTrainer, runner JobRunner, timeout time.Duration, metrics *rundir.Metrics, log io.Writer) (*policyEval, error) {
	tasks, skipped, err := eval.ReadBench(path)
	if err != nil {
		return nil, fmt.Errorf("trainer: eval_data: %w", err)
	}
	if len(skipped) > 0 {
		return nil, fmt.Errorf("trainer: eval_data %s: %d unreadable rows, first: %w", path, len(skipped), skipped[0])
	}
	ev := &eval.Evaluator{Policy: t.Actor, Engine: t.Engine, Exec: runner, Timeout: timeout,
		Batch: t.Settings.Sampling.BatchSize, MaxNew: t.Settings.Sampling.MaxNewTokens, Seed: uint64(t.Settings.Seed)}
	return &policyEval{tasks: tasks, ev: ev, metrics: metrics, log: log, at: func() int { return t.Cursor.Step }, done: -1}, nil
}

// evaluate logs eval/pass@1 at the current step, once per step.
func (p *policyEval) evaluate(ctx context.Context) error {
	step := p.at()
	if p.done == step {
		return nil
	}
	comps, err := p.ev.Generate(ctx, p.tasks, 1, rollout.Sampling{})
	if err != nil {
		return err
	}
	if err := p.ev.Check(ctx, p.tasks, comps); err != nil {
		return err
	}
	passed := 0
	for _, cs := range comps {
		if cs[0].Passed {
			passed++
		}
	}
	pct := 100 * float64(passed) / float64(len(p.tasks))
	p.done = step
	fmt.Fprintf(p.log, "train-policy: step %d: greedy pass@1 %.1f%% on %d held-out tasks\n", step, pct, len(p.tasks))
	return p.metrics.Log(step, map[string]float64{"eval/pass@1": pct})
}
