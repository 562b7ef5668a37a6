package trainer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"acecoder/checkpoints"
	"acecoder/progress"
	"acecoder/rundir"
)

// loop is what the SFT, reward-model and Reinforce++ loops share: take
// steps until total (or cancellation), log each step's metrics, move the
// progress bar, evaluate and checkpoint every few steps, and, when ctx is
// cancelled (SIGINT/SIGTERM), write a final checkpoint under a fresh
// bounded context. At the end it evaluates and checkpoints once more; the
// caller then saves its model.
type loop struct {
	name  string // "sft", "train-rm", "train-policy": prefixes messages
	total int    // steps of the run
	// at is the number of steps taken (the trainer's cursor).
	at func() int
	// step takes one step and returns its metrics.
	step func(ctx context.Context) (map[string]float64, error)
	// describe is the progress bar's text after a step.
	describe func(m map[string]float64) string
	// evaluate (may be nil) logs held-out metrics; every evalEvery steps
	// (0: only at step 0 of a fresh run and at the end).
	evaluate  func(ctx context.Context) error
	evalEvery int
	// save writes a checkpoint of the current step (a no-op when it exists);
	// every saveEvery steps (0: only at the end).
	save      func(ctx context.Context) error
	saveEvery int
	// extra (may be nil) adds metrics to each step's (e.g. the queue's).
	extra func(ctx context.Context, m map[string]float64)

	metrics *rundir.Metrics
	bar     *progress.Bar
	log     io.Writer
	onStep  func(step int, m map[string]float64)
}

// run takes the remaining steps. A cancelled ctx ends it with a final
// checkpoint and an error wrapping the cause.
func (l *loop) run(ctx context.Context) error {
	l.bar.Add(l.at())
	if l.at() == 0 && l.evaluate != nil {
		if err := l.evaluate(ctx); err != nil {
			return err
		}
	}
	for l.at() < l.total && ctx.Err() == nil {
		m, err := l.step(ctx)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			break
		}
		if err != nil {
			return err
		}
		if err := l.logged(ctx, m); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return l.interrupted(ctx)
	}
	l.bar.Finish()
	if l.evaluate != nil {
		if err := l.evaluate(ctx); err != nil {
			return err
		}
	}
	return l.save(ctx)
}

// logged records a finished step and runs what is due after it.
func (l *loop) logged(ctx context.Context, m map[string]float64) error {
	step := l.at()
	if l.extra != nil {
		l.extra(ctx, m)
	}
	if err := l.metrics.Log(step, m); err != nil {
		return err
	}
	l.bar.Add(1)
	l.bar.Describe(l.describe(m))
	if l.onStep != nil {
		l.onStep(step, m)
	}
	if step >= l.total {
		return nil
	}
	if l.evaluate != nil && l.evalEvery > 0 && step%l.evalEvery == 0 {
		if err := l.evaluate(ctx); err != nil && ctx.Err() == nil {
			return err
		}
	}
	if l.saveEvery > 0 && step%l.saveEvery == 0 {
		if err := l.save(ctx); err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

// interrupted redoes an evaluation the signal cut short (so the metrics
// log matches an uninterrupted run, which a resumed run then continues),
// writes the final checkpoint under a fresh bounded context and reports
// the interruption.
func (l *loop) interrupted(ctx context.Context) error {
	fctx, cancel := checkpoints.FinalContext(ctx, 2*time.Minute)
	defer cancel()
	step := l.at()
	if l.evaluate != nil && l.evalEvery > 0 && step > 0 && step%l.evalEvery == 0 && step < l.total {
		if err := l.evaluate(fctx); err != nil {
			return fmt.Errorf("%s: interrupted at step %d and the evaluation failed: %w", l.name, step, err)
		}
	}
	if err := l.save(fctx); err != nil {
		return fmt.Errorf("%s: interrupted at step %d and the final checkpoint failed: %w", l.name, step, err)
	}
	fmt.Fprintf(l.log, "%s: interrupted; checkpoint of step %d saved\n", l.name, step)
	return fmt.Errorf("%s: interrupted at step %d (checkpoint saved): %w", l.name, step, context.Cause(ctx))
}
