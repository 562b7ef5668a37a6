package configs

import (
	"errors"
)

// RM is the config of train-rm: a Bradley-Terry reward model (the policy
// backbone plus a scalar value head read at the last non-pad token) trained on
// preference pairs of programs. Defaults are AceCoder's (lr 1e-5 cosine,
// warm-up 0.1, one epoch, max length 2048, global batch 128 pairs).
type RM struct {
	Run   `mapstructure:",squash"`
	Model Model `mapstructure:"model"`
	Optim Optim `mapstructure:"optim"`

	TrainData    []string `mapstructure:"train_data" path:"in" help:"pair files (JSONL or Parquet): AceCodePair rows or this project's pair rows"`
	EvalData     []string `mapstructure:"eval_data" path:"in" help:"held-out pair files; empty splits eval_fraction off the training pairs"`
	EvalFraction float64  `mapstructure:"eval_fraction" help:"fraction of the training questions whose pairs are held out when eval_data is empty (all pairs of a question on one side)"`
	MaxLength    int      `mapstructure:"max_length" help:"tokens per side (prompt + program); longer sides are truncated and counted"`
	Preamble     bool     `mapstructure:"preamble" help:"prefix each program with AceCoder's fixed assistant preamble"`

	TrainBatchSize int     `mapstructure:"train_batch_size" help:"pairs per optimiser step (global batch)"`
	MicroBatchSize int     `mapstructure:"micro_train_batch_size" help:"pairs per forward/backward; train_batch_size must be a multiple (gradient accumulation)"`
	MaxEpochs      int     `mapstructure:"max_epochs" help:"passes over the training pairs"`
	MaxSteps       int     `mapstructure:"max_steps" help:"stop after this many optimiser steps; 0 means as many as the epochs give"`
	Margin         float64 `mapstructure:"margin" help:"margin m in -log sigmoid(r_chosen - r_rejected - m); 0 is the plain Bradley-Terry loss"`
	PairMargins    bool    `mapstructure:"pair_margins" help:"add each pair's own \"margin\" field to m (OpenRLHF's margin loss); pairs without one add 0"`
	HeadDropout    float64 `mapstructure:"head_dropout" help:"dropout before the value head during training"`

	EvalSteps int    `mapstructure:"eval_steps" help:"evaluate held-out pair accuracy every this many steps; 0 only at the end"`
	SaveSteps int    `mapstructure:"save_steps" help:"checkpoint every this many steps; 0 only at the end"`
	KeepLast  int    `mapstructure:"keep_last" help:"checkpoints to keep"`
	Resume    string `mapstructure:"resume" path:"in,except=latest" help:"'' (fresh), 'latest' (newest checkpoint of out_dir) or a checkpoint directory"`
}

// DefaultRM returns AceCoder's reward-model settings.
func DefaultRM() RM {
	return RM{
		Run: DefaultRun("rm"),
		Optim: Optim{LearningRate: 1e-5, WarmupRatio: 0.1, MinLRRatio: 0, Scheduler: "cosine",
			AdamBetas: []float64{0.9, 0.95}, WeightDecay: 0, MaxNorm: 1.0},
		EvalFraction: 0.05, MaxLength: 2048,
		TrainBatchSize: 128, MicroBatchSize: 8, MaxEpochs: 1,
		SaveSteps: 100, KeepLast: 3,
	}
}

// Validate reports every invalid key.
func (c *RM) Validate() error {
	errs := []error{c.Run.Validate(), c.Model.Validate("model")}
	errs = c.Optim.validate(errs, "optim")
	if len(c.TrainData) == 0 {
		errs = append(errs, keyErr("train_data", "at least one pair file is needed"))
	}
	errs = inRange(errs, "eval_fraction", c.EvalFraction, 0, 0.9)
	errs = positive(errs, "max_length", c.MaxLength)
	errs = positive(errs, "train_batch_size", c.TrainBatchSize)
	errs = positive(errs, "micro_train_batch_size", c.MicroBatchSize)
	if c.MicroBatchSize > 0 && c.TrainBatchSize%c.MicroBatchSize != 0 {
		errs = append(errs, keyErr("train_batch_size", "%d is not a multiple of micro_train_batch_size %d", c.TrainBatchSize, c.MicroBatchSize))
	}
	errs = positive(errs, "max_epochs", c.MaxEpochs)
	errs = inRange(errs, "head_dropout", c.HeadDropout, 0, 0.99)
	errs = positive(errs, "keep_last", c.KeepLast)
	return errors.Join(errs...)
}
