package trainer

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gomlx/compute"

	"acecoder/checkpoints"
	"acecoder/configs"
	"acecoder/policy"
	"acecoder/progress"
	"acecoder/rundir"
	"acecoder/trainer/optim"
)

// SFTRunOptions are the run-time knobs of TrainSFT.
type SFTRunOptions struct {
	Quiet   bool
	Log     io.Writer
	Backend compute.Backend
}

// TrainSFT runs `acecoder sft` in run's directory: resume per cfg.Resume,
// train, log metrics, checkpoint every save_steps (and on SIGINT/SIGTERM),
// and save the final policy to <run>/model.
func TrainSFT(ctx context.Context, cfg configs.SFT, run *rundir.Run, opts SFTRunOptions) error {
	root := filepath.Join(run.Dir, PolicyCheckpointDir)
	st, err := startLoop(opts.Log, root, cfg.Resume, "sft", opts.Backend, cfg.Backend)
	if err != nil {
		return err
	}
	l, err := newSFTLoop(ctx, cfg, run, st)
	if err != nil {
		return err
	}
	t := l.t
	runner := &loop{name: "sft", total: l.total, at: func() int { return t.Cursor.Step }, step: t.Step,
		describe: func(m map[string]float64) string { return fmt.Sprintf("loss %.4f", m["loss/sft"]) },
		save:     l.save, saveEvery: cfg.SaveSteps, metrics: run.Metrics, log: st.log,
		bar: progress.New(l.total, "sft", progress.Options{Quiet: opts.Quiet})}
	if err := runner.run(ctx); err != nil {
		return err
	}
	dir, err := SaveFinalPolicy(ctx, t.Model, run.Dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(st.log, "sft: %d steps done; policy saved to %s\n", t.Cursor.Step, dir)
	return nil
}

// sftLoop is the state of one TrainSFT call.
type sftLoop struct {
	cfg    configs.SFT
	t      *SFTTrainer
	total  int
	saver  *checkpoints.Saver
	config []byte
	saved  int // step of the last checkpoint written (-1: none)
}

// newSFTLoop loads the policy (from the checkpoint when resuming), the
// examples and the trainer, and restores the trainer's state.
func newSFTLoop(ctx context.Context, cfg configs.SFT, run *rundir.Run, st loopStart) (*sftLoop, error) {
	var tm *policy.TextModel
	var err error
	if st.ck != nil {
		tm, err = LoadCheckpointModel(ctx, modelAt(ctx, st.b, cfg.Seed), baseModel(ctx, st.b, cfg.Model, cfg.Seed), st.ck)
	} else {
		tm, err = LoadPolicyModel(ctx, st.b, cfg.Model, cfg.Seed)
	}
	if err != nil {
		return nil, err
	}
	tm.Model.Decoder.RecomputeLayers = cfg.Model.GradientCheckpointing
	ex, skipped, err := ReadSFTExamples(ctx, tm, cfg.TrainData, cfg.MaxLength)
	if err != nil {
		return nil, err
	}
	if skipped > 0 {
		fmt.Fprintf(st.log, "sft: %d examples longer than max_length %d skipped\n", skipped, cfg.MaxLength)
	}
	total := cfg.MaxEpochs * (len(ex) / cfg.TrainBatchSize)
	if cfg.MaxSteps > 0 {
		total = min(total, cfg.MaxSteps)
	}
	sched := optim.Schedule{Peak: cfg.Optim.LearningRate, Warmup: optim.WarmupSteps(total, cfg.Optim.WarmupRatio),
		Total: total, MinRatio: cfg.Optim.MinLRRatio, Kind: cfg.Optim.Scheduler}
	t, err := NewSFTTrainer(tm, optim.FromConfig(cfg.Optim), ex, cfg.TrainBatchSize, cfg.MicroBatchSize, cfg.Seed, sched)
	if err != nil {
		return nil, err
	}
	text, err := configs.YAML(&cfg)
	if err != nil {
		return nil, err
	}
	l := &sftLoop{cfg: cfg, t: t, total: total, config: []byte(text), saved: -1,
		saver: &checkpoints.Saver{Root: filepath.Join(run.Dir, PolicyCheckpointDir), Options: checkpoints.Options{Keep: cfg.KeepLast}}}
	if st.ck == nil {
		return l, nil
	}
	if err := l.restore(st.ck); err != nil {
		return nil, err
	}
	return l, run.Metrics.TruncateAfter(t.Cursor.Step)
}

func (l *sftLoop) save(ctx context.Context) error {
	t := l.t
	if l.saved == t.Cursor.Step {
		return nil
	}
	c, err := PolicyCheckpoint(ctx, t.Model, t.Opt, map[string]any{"cursor": t.Cursor,
		"sft": sftState{Seed: l.cfg.Seed, Examples: len(t.Examples)}}, l.config)
	if err != nil {
		return err
	}
	if _, err := l.saver.Save(ctx, int64(t.Cursor.Step), c); err != nil {
		return err
	}
	l.saved = t.Cursor.Step
	return nil
}

func (l *sftLoop) restore(ck *checkpoints.Checkpoint) error {
	var st sftState
	if err := ck.DecodeState("sft", &st); err != nil {
		return err
	}
	t := l.t
	if st.Seed != l.cfg.Seed || st.Examples != len(t.Examples) {
		return fmt.Errorf("sft: %s: checkpoint of seed %d with %d examples, this run has seed %d and %d", ck.Dir, st.Seed, st.Examples, l.cfg.Seed, len(t.Examples))
	}
	if err := ck.DecodeState("cursor", &t.Cursor); err != nil {
		return err
	}
	if err := RestoreOptimizer(ck, t.Opt); err != nil {
		return err
	}
	l.saved = t.Cursor.Step
	return nil
}
