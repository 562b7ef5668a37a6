package trainer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"

	"acecoder/checkpoints"
	"acecoder/configs"
	"acecoder/progress"
	"acecoder/rundir"
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
	log, ck, b := st.log, st.ck, st.b
	var tm *TextModel
	if ck != nil {
		tm, err = LoadCheckpointModel(ctx, modelAt(ctx, b, cfg.Seed), ck)
	} else {
		tm, err = LoadPolicyModel(ctx, b, cfg.Model, cfg.Seed)
	}
	if err != nil {
		return err
	}
	ex, skipped, err := ReadSFTExamples(ctx, tm, cfg.TrainData, cfg.MaxLength)
	if err != nil {
		return err
	}
	if skipped > 0 {
		fmt.Fprintf(log, "sft: %d examples longer than max_length %d skipped\n", skipped, cfg.MaxLength)
	}
	total := cfg.MaxEpochs * (len(ex) / cfg.TrainBatchSize)
	if cfg.MaxSteps > 0 {
		total = min(total, cfg.MaxSteps)
	}
	sched := Schedule{Peak: cfg.Optim.LearningRate, Warmup: WarmupSteps(total, cfg.Optim.WarmupRatio),
		Total: total, MinRatio: cfg.Optim.MinLRRatio, Kind: cfg.Optim.Scheduler}
	t, err := NewSFTTrainer(tm, RMAdamW(cfg.Optim), ex, cfg.TrainBatchSize, cfg.MicroBatchSize, cfg.Seed, sched)
	if err != nil {
		return err
	}
	text, err := configs.YAML(&cfg)
	if err != nil {
		return err
	}
	saver := &checkpoints.Saver{Root: root, Options: checkpoints.Options{Keep: cfg.KeepLast}}
	saved := -1
	save := func(ctx context.Context) error {
		if saved == t.Cursor.Step {
			return nil
		}
		c, err := PolicyCheckpoint(ctx, tm, t.Opt, map[string]any{"cursor": t.Cursor,
			"sft": sftState{Seed: cfg.Seed, Examples: len(ex)}}, []byte(text))
		if err != nil {
			return err
		}
		if _, err := saver.Save(ctx, int64(t.Cursor.Step), c); err != nil {
			return err
		}
		saved = t.Cursor.Step
		return nil
	}
	if ck != nil {
		var st sftState
		if err := ck.DecodeState("sft", &st); err != nil {
			return err
		}
		if st.Seed != cfg.Seed || st.Examples != len(ex) {
			return fmt.Errorf("sft: %s: checkpoint of seed %d with %d examples, this run has seed %d and %d", ck.Dir, st.Seed, st.Examples, cfg.Seed, len(ex))
		}
		if err := ck.DecodeState("cursor", &t.Cursor); err != nil {
			return err
		}
		if err := RestoreOptimizer(ck, t.Opt); err != nil {
			return err
		}
		saved = t.Cursor.Step
		if err := run.Metrics.TruncateAfter(t.Cursor.Step); err != nil {
			return err
		}
	}
	bar := progress.New(total, "sft", progress.Options{Quiet: opts.Quiet})
	bar.Add(t.Cursor.Step)
	for t.Cursor.Step < total && ctx.Err() == nil {
		m, err := t.Step(ctx)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			break
		}
		if err != nil {
			return err
		}
		if err := run.Metrics.Log(t.Cursor.Step, m); err != nil {
			return err
		}
		bar.Add(1)
		bar.Describe(fmt.Sprintf("loss %.4f", m["loss/sft"]))
		if cfg.SaveSteps > 0 && t.Cursor.Step%cfg.SaveSteps == 0 && t.Cursor.Step < total {
			if err := save(ctx); err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		fctx, cancel := checkpoints.FinalContext(ctx, 2*time.Minute)
		defer cancel()
		if err := save(fctx); err != nil {
			return fmt.Errorf("sft: interrupted at step %d and the final checkpoint failed: %w", t.Cursor.Step, err)
		}
		return fmt.Errorf("sft: interrupted at step %d (checkpoint saved): %w", t.Cursor.Step, context.Cause(ctx))
	}
	bar.Finish()
	if err := save(ctx); err != nil {
		return err
	}
	dir := filepath.Join(run.Dir, PolicyModelDir)
	if err := SaveTextModel(ctx, tm, dir); err != nil {
		return err
	}
	fmt.Fprintf(log, "sft: %d steps done; policy saved to %s\n", t.Cursor.Step, dir)
	return nil
}
