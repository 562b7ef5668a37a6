// Package demo is the end-to-end, small-scale AceCoder replication that
// `acecoder demo` (and `make demo`) runs on the CPU: a generated toy task
// suite with synthesized tests → the oracle test filter → a byte-level BPE
// tokenizer → SFT of a tiny Qwen2-style policy → samples per rl question,
// executed in the sandbox → preference pairs (AceCoder's rule) →
// Bradley-Terry reward models on pairs from filtered and from unfiltered
// tests (Table 5) → best-of-N on held-out tasks (Table 2) → Reinforce++
// with rule and with reward-model rewards → held-out greedy pass@1
// (Table 3). Every stage writes an
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
	RMBatch          int // pairs per reward-model step (fewer when there are few pairs)
	RMLearningRate   float64
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
	// RLKLCoef is β of both Reinforce++ runs, against rewards z-scored
	// over each rollout batch (normalize_reward): the safeguard that keeps
	// the RM-reward run where the reward model was trained. Chosen on the
	// rl questions (greedy pass@1 after RL with either reward) from 0.01,
	// 0.05, 0.1, 0.2 and 0.5; at 0.01 the RM-reward run games the reward
	// model.
	RLKLCoef float64
}

// Full is the README's demo.
var Full = Scale{SFTEpochs: 16, Samples: 16, RMEpochs: 4, RMBatch: 16, RMLearningRate: 1e-3, RLSteps: 50, RolloutPrompts: 16, SamplesPerPrompt: 8, MaxNewTokens: 48,
	Temperature: 0.7, RLLearningRate: 3e-4, RLUpdates: 1, RLWarmup: 0.3, RLKLCoef: 0.1}

// Smoke is a small version for tests.
var Smoke = Scale{SFTEpochs: 4, Samples: 4, RMEpochs: 1, RMBatch: 16, RMLearningRate: 1e-3, RLSteps: 2, RolloutPrompts: 4, SamplesPerPrompt: 4, MaxNewTokens: 24,
	Temperature: 0.7, RLLearningRate: 3e-4, RLUpdates: 1, RLWarmup: 0.3, RLKLCoef: 0.1}

// Report is what the demo found.
type Report struct {
	Filter        FilterStats
	BestOfN       []eval.BestOfN
	RMs           []RMRow // Table 5: filtered against unfiltered tests
	HeldOutPairs  int     // the reward models' eval set
	PairQuestions int
	PassAt1       []PolicyRow
	Curves        []Curve
	Dirs          map[string]string
	Plots         []string
	Duration      time.Duration
}

// PolicyRow is one line of the held-out pass@1 table.
type PolicyRow struct {
	Policy       string
	HeldOut      float64 // greedy pass@1, percent
	RL           float64 // greedy pass@1 on the rl-split questions (RL's prompts are their hard subset), percent
	HeldOutTasks int
}

// StageNames lists the stages in the order Run runs them.
var StageNames = []string{"tasks", "filter", "tokenizer", "sft", "sample", "pairs", "train-rm", "best-of-n", "rl-rule", "rl-rm", "pass@1", "plots"}

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
		"tasks": d.tasks, "filter": d.filter, "tokenizer": d.tokenizer, "sft": d.sft, "sample": d.sample,
		"pairs": d.pairs, "train-rm": d.trainRM, "best-of-n": d.bestOfN,
		"rl-rule": d.rlRule, "rl-rm": d.rlRM, "pass@1": d.passAt1, "plots": d.plotsAndCurves,
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
