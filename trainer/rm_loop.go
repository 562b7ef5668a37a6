package trainer

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gomlx/compute"

	"acecoder/checkpoints"
	"acecoder/configs"
	"acecoder/progress"
	"acecoder/rewards"
	"acecoder/rundir"
	"acecoder/trainer/optim"
)

// RMRunOptions are the run-time knobs of TrainRM that are not config keys.
type RMRunOptions struct {
	Quiet bool      // no progress bar
	Log   io.Writer // warnings and one-line summaries; nil discards
	// Backend overrides cfg.Backend (tests share one).
	Backend compute.Backend
	// OnStep is called after each logged step with its metrics.
	OnStep func(step int, metrics map[string]float64)
}

// Run-directory entries of a reward-model run.
const (
	RMCheckpointDir = "checkpoints" // step-%08d/ checkpoints
	RMModelDir      = "model"       // the final reward model, HF format
)

// TrainRM runs train-rm in run's directory: it resumes per cfg.Resume,
// trains, logs metrics to metrics.jsonl, evaluates held-out pair accuracy
// every eval_steps, checkpoints every save_steps, and saves the final model
// to <run>/model. When ctx is cancelled (SIGINT/SIGTERM) it writes a final
// checkpoint and returns an error wrapping ctx's cause.
//
// Metrics (metrics.jsonl), per optimiser step:
//
//	loss/bt            mean −log σ(r_c − r_r − margin) over the step's pairs
//	rm/accuracy        fraction of the step's pairs with r_c > r_r
//	rm/margin          mean r_c − r_r
//	reward/mean, reward/std   over both sides of the step's pairs
//	optim/lr           learning rate used by the step
//	optim/grad_norm    global gradient norm before clipping
//	data/epoch         epoch of the step's batch
//	perf/tokens, perf/tokens_per_s   real tokens processed, and per second
//
// at step 0 of a fresh run: data/train_pairs, data/eval_pairs,
// data/truncated (sides cut to max_length), optim/total_steps; and at each
// evaluation: eval/accuracy, eval/loss, eval/margin (held-out pairs, no
// dropout).
func TrainRM(ctx context.Context, cfg configs.RM, run *rundir.Run, opts RMRunOptions) error {
	root := filepath.Join(run.Dir, RMCheckpointDir)
	st, err := startLoop(opts.Log, root, cfg.Resume, "train-rm", opts.Backend, cfg.Backend)
	if err != nil {
		return err
	}
	log, ck, b := st.log, st.ck, st.b
	l, err := newRMLoop(ctx, cfg, run, b, ck, log)
	if err != nil {
		return err
	}
	t := l.t
	runner := &loop{name: "train-rm", total: t.Settings.Schedule.Total, at: func() int { return t.Cursor.Step },
		step: t.Step, describe: func(m map[string]float64) string {
			return fmt.Sprintf("loss %.4f acc %.2f", m["loss/bt"], m["rm/accuracy"])
		},
		evaluate: l.evaluate, evalEvery: cfg.EvalSteps, save: l.save, saveEvery: cfg.SaveSteps,
		metrics: run.Metrics, log: log, onStep: opts.OnStep,
		bar: progress.New(t.Settings.Schedule.Total, "train-rm", progress.Options{Quiet: opts.Quiet})}
	if err := runner.run(ctx); err != nil {
		return err
	}
	if bb := t.RM.Backbone; bb.Decoder.LoRA != nil {
		if err := bb.SaveAdapters(ctx, filepath.Join(run.Dir, PolicyAdapterDir), bb.SourceDir); err != nil {
			return err
		}
	}
	dir := filepath.Join(run.Dir, RMModelDir)
	if err := t.RM.Save(ctx, dir); err != nil {
		return err
	}
	fmt.Fprintf(log, "train-rm: %d steps done; reward model saved to %s\n", t.Cursor.Step, dir)
	return nil
}

// rmLoop is the state of one TrainRM call.
type rmLoop struct {
	cfg      configs.RM
	run      *rundir.Run
	t        *RMTrainer
	saver    *checkpoints.Saver
	tokFiles map[string][]byte
	config   []byte
	log      io.Writer
	saved    int // step of the last checkpoint written (-1: none)
	eval     int // step of the last evaluation logged (-1: none)
}

func newRMLoop(ctx context.Context, cfg configs.RM, run *rundir.Run, b compute.Backend, ck *checkpoints.Checkpoint, log io.Writer) (*rmLoop, error) {
	rm, err := LoadRMFromConfig(ctx, b, cfg.Model, cfg.Seed, ck)
	if err != nil {
		return nil, err
	}
	rm.MaxLength, rm.BatchSize = cfg.MaxLength, 2*cfg.MicroBatchSize
	data, err := LoadRMData(ctx, cfg, rm, log)
	if err != nil {
		return nil, err
	}
	s := RMSettings{BatchSize: cfg.TrainBatchSize, MicroBatchSize: cfg.MicroBatchSize, Margin: cfg.Margin,
		HeadDropout: cfg.HeadDropout, Seed: cfg.Seed, Schedule: RMSchedule(cfg, len(data.Train))}
	t, err := NewRMTrainer(rm, optim.FromConfig(cfg.Optim), s, data.Train, data.Eval)
	if err != nil {
		return nil, err
	}
	tokFiles, err := rewards.TokenizerFiles(rm.Tokenizer)
	if err != nil {
		return nil, err
	}
	text, err := configs.YAML(&cfg)
	if err != nil {
		return nil, err
	}
	l := &rmLoop{cfg: cfg, run: run, t: t, tokFiles: tokFiles, config: []byte(text), log: log, saved: -1, eval: -1,
		saver: &checkpoints.Saver{Root: filepath.Join(run.Dir, RMCheckpointDir), Options: checkpoints.Options{Keep: cfg.KeepLast}}}
	if ck == nil {
		return l, run.Metrics.Log(0, map[string]float64{"data/train_pairs": float64(len(data.Train)),
			"data/eval_pairs": float64(len(data.Eval)), "data/truncated": float64(data.Truncated),
			"optim/total_steps": float64(s.Schedule.Total)})
	}
	if err := t.Restore(ck, cfg.Preamble); err != nil {
		return nil, err
	}
	l.saved, l.eval = t.Cursor.Step, t.Cursor.Step
	fmt.Fprintf(log, "train-rm: resumed from %s at step %d\n", ck.Dir, t.Cursor.Step)
	return l, run.Metrics.TruncateAfter(t.Cursor.Step)
}

func (l *rmLoop) evaluate(ctx context.Context) error {
	if l.eval == l.t.Cursor.Step {
		return nil
	}
	m, err := l.t.Evaluate(ctx)
	if err != nil || m == nil {
		return err
	}
	l.eval = l.t.Cursor.Step
	fmt.Fprintf(l.log, "train-rm: step %d: held-out pair accuracy %.4f, loss %.4f\n", l.t.Cursor.Step, m["eval/accuracy"], m["eval/loss"])
	return l.run.Metrics.Log(l.t.Cursor.Step, m)
}

func (l *rmLoop) save(ctx context.Context) error {
	step := l.t.Cursor.Step
	if l.saved == step {
		return nil
	}
	c, err := l.t.CheckpointContent(ctx, l.tokFiles, l.cfg.Model.ChatTemplate, l.cfg.Preamble, l.config)
	if err != nil {
		return err
	}
	if _, err := l.saver.Save(ctx, int64(step), c); err != nil {
		return err
	}
	l.saved = step
	return nil
}
