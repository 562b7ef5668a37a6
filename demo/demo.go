// Package demo is the end-to-end, small-scale AceCoder replication that
// `acecoder demo` (and `make demo`) runs on the CPU: a generated toy task
// suite → a byte-level BPE tokenizer → SFT of a tiny Qwen2-style policy →
// 16 samples per training question, executed in the sandbox → preference
// pairs (AceCoder's rule) → a Bradley-Terry reward model → best-of-N on
// held-out tasks (Table 2) → Reinforce++ with rule and with reward-model
// rewards → held-out greedy pass@1 (Table 3). Every stage writes an
// ordinary run directory, with the config it ran with, so each can be
// rerun by hand with the matching command.
package demo

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"acecoder/eval"
)

//go:embed model.json
var modelConfig []byte

// Options configures a demo run.
type Options struct {
	Dir     string // everything goes here (default runs/demo)
	Seed    int64
	Backend string
	Quiet   bool
	Log     io.Writer
	Scale   Scale
	// Until, when set, names the last stage to run (e.g. "best-of-n").
	Until string
}

// Scale holds the sizes that trade time for signal; Full is the default,
// Smoke a minutes-long version for tests.
type Scale struct {
	SFTEpochs        int
	Samples          int // per question, for pairs and best-of-N
	RMEpochs         int
	RLSteps          int
	RolloutPrompts   int
	SamplesPerPrompt int
	MaxNewTokens     int
	// Temperature of every sampling stage: pairs, best-of-N (AceCoder
	// samples at 0.7) and the RL rollouts.
	Temperature    float64
	RLLearningRate float64 // peak learning rate of both Reinforce++ runs
	RLUpdates      int     // optimiser steps per rollout (the rollout split into this many mini-batches)
	RLWarmup       float64 // warm-up fraction of the RL updates
}

// Full is the README's demo.
var Full = Scale{SFTEpochs: 16, Samples: 16, RMEpochs: 4, RLSteps: 30, RolloutPrompts: 16, SamplesPerPrompt: 8, MaxNewTokens: 48,
	Temperature: 0.7, RLLearningRate: 3e-4, RLUpdates: 1, RLWarmup: 0.3}

// Smoke is a small version for tests.
var Smoke = Scale{SFTEpochs: 4, Samples: 4, RMEpochs: 1, RLSteps: 2, RolloutPrompts: 4, SamplesPerPrompt: 4, MaxNewTokens: 24,
	Temperature: 0.7, RLLearningRate: 3e-4, RLUpdates: 1, RLWarmup: 0.3}

// Report is what the demo found.
type Report struct {
	BestOfN  []eval.BestOfN
	PassAt1  []PolicyRow
	Dirs     map[string]string
	Plots    []string
	Duration time.Duration
}

// PolicyRow is one line of the held-out pass@1 table.
type PolicyRow struct {
	Policy       string
	HeldOut      float64 // greedy pass@1, percent
	RL           float64 // greedy pass@1 on the rl-split questions (RL's prompts are their hard subset), percent
	HeldOutTasks int
}

// StageNames lists the stages in the order Run runs them.
var StageNames = []string{"tasks", "tokenizer", "sft", "sample", "pairs", "train-rm", "best-of-n", "rl-rule", "rl-rm", "pass@1", "plots"}

// Run executes every stage in order. A stage whose output already exists is
// not rerun, so an interrupted demo resumes.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Dir == "" {
		opts.Dir = filepath.Join("runs", "demo")
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Scale == (Scale{}) {
		opts.Scale = Full
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	start := time.Now()
	d := &run{opts: opts, report: &Report{Dirs: map[string]string{}}}
	defer d.close()
	stages := map[string]func(context.Context) error{
		"tasks": d.tasks, "tokenizer": d.tokenizer, "sft": d.sft, "sample": d.sample,
		"pairs": d.pairs, "train-rm": d.trainRM, "best-of-n": d.bestOfN,
		"rl-rule": d.rlRule, "rl-rm": d.rlRM, "pass@1": d.passAt1, "plots": d.plots,
	}
	if opts.Until != "" && !slices.Contains(StageNames, opts.Until) {
		return d.report, fmt.Errorf("demo: no stage %q (stages: %s)", opts.Until, strings.Join(StageNames, ", "))
	}
	for i, name := range StageNames {
		t0 := time.Now()
		d.logf("[%d/%d] %s", i+1, len(StageNames), name)
		if err := stages[name](ctx); err != nil {
			return d.report, fmt.Errorf("demo: %s: %w", name, err)
		}
		d.logf("[%d/%d] %s done in %s", i+1, len(StageNames), name, time.Since(t0).Round(time.Second))
		if name == opts.Until {
			d.report.Duration = time.Since(start)
			return d.report, nil
		}
	}
	d.report.Duration = time.Since(start)
	return d.report, d.writeReport()
}
