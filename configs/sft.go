package configs

import "errors"

// SFT is the config of `acecoder sft`: supervised fine-tuning of a policy
// on (question, program) rows with the loss on the response tokens only.
type SFT struct {
	Run   `mapstructure:",squash"`
	Model Model `mapstructure:"model"`
	Optim Optim `mapstructure:"optim"`

	TrainData      []string `mapstructure:"train_data" path:"in" help:"JSONL rows with question|instruction|prompt and program|response|completion (the toy suite's task files work)"`
	MaxLength      int      `mapstructure:"max_length" help:"tokens per example (prompt + response); longer examples are skipped and counted"`
	TrainBatchSize int      `mapstructure:"train_batch_size" help:"examples per optimiser step"`
	MicroBatchSize int      `mapstructure:"micro_train_batch_size" help:"examples per forward/backward (gradient accumulation)"`
	MaxEpochs      int      `mapstructure:"max_epochs" help:"passes over the examples"`
	MaxSteps       int      `mapstructure:"max_steps" help:"stop after this many optimiser steps; 0 means as many as the epochs give"`
	SaveSteps      int      `mapstructure:"save_steps" help:"checkpoint every this many steps; 0 only at the end"`
	KeepLast       int      `mapstructure:"keep_last" help:"checkpoints to keep"`
	Resume         string   `mapstructure:"resume" path:"in,except=latest" help:"'' (fresh), 'latest' or a checkpoint directory"`
}

// DefaultSFT returns settings for small models on the CPU.
func DefaultSFT() SFT {
	return SFT{
		Run: DefaultRun("sft"),
		Optim: Optim{LearningRate: 1e-3, WarmupRatio: 0.05, MinLRRatio: 0.1, Scheduler: "cosine",
			AdamBetas: []float64{0.9, 0.95}, WeightDecay: 0, MaxNorm: 1.0},
		MaxLength: 512, TrainBatchSize: 32, MicroBatchSize: 16, MaxEpochs: 3, SaveSteps: 0, KeepLast: 2,
	}
}

// Validate reports every invalid key.
func (c *SFT) Validate() error {
	errs := []error{c.Run.Validate(), c.Model.Validate("model")}
	errs = c.Optim.validate(errs, "optim")
	if len(c.TrainData) == 0 {
		errs = append(errs, keyErr("train_data", "at least one file is needed"))
	}
	errs = positive(errs, "max_length", c.MaxLength)
	errs = positive(errs, "train_batch_size", c.TrainBatchSize)
	errs = positive(errs, "micro_train_batch_size", c.MicroBatchSize)
	errs = positive(errs, "max_epochs", c.MaxEpochs)
	errs = positive(errs, "keep_last", c.KeepLast)
	return errors.Join(errs...)
}
