package trainer

import (
	"context"
	"fmt"
	"io"

	"github.com/gomlx/compute"

	"acecoder/checkpoints"
	"acecoder/configs"
	"acecoder/policy"
	"acecoder/policy/tokenizer"
	"acecoder/rewards"
	"acecoder/trainer/optim"
)

// LoadRMFromConfig builds the reward model a run starts from: the
// checkpoint's model when resuming (the architecture and tokenizer come
// from the checkpoint, never from the command line), else model.path (a
// Hugging Face directory; its value head is loaded when present) or a
// seeded random model of model.init_config. A random model without a
// tokenizer gets the untrained byte-level one (256 bytes + ChatML tokens).
func LoadRMFromConfig(ctx context.Context, b compute.Backend, m configs.Model, seed int64, ck *checkpoints.Checkpoint) (*rewards.RewardModel, error) {
	if ck != nil {
		var st rmModelState
		if err := ck.DecodeState("model", &st); err != nil {
			return nil, err
		}
		var rm *rewards.RewardModel
		var err error
		if ck.Has(policy.AdapterConfigFile) {
			rm, err = adaptedRMFromCheckpoint(ctx, b, m, seed, ck)
		} else {
			rm, err = rewards.LoadRM(ctx, b, ck.Dir, rewards.RMLoadOptions{ChatTemplate: st.ChatTemplate, Seed: uint64(seed)})
		}
		if err != nil {
			return nil, err
		}
		rm.Backbone.Decoder.RecomputeLayers = m.GradientCheckpointing
		return rm, nil
	}
	rm, err := baseRM(ctx, b, m, seed)
	if err != nil {
		return nil, err
	}
	rm.Backbone.Decoder.RecomputeLayers = m.GradientCheckpointing
	switch {
	case m.Adapter != "":
		err = rm.Backbone.LoadAdapters(ctx, m.Adapter)
	case m.LoRARank > 0:
		err = rm.Backbone.AddAdapters(*loraOf(m), uint64(seed))
	}
	return rm, err
}

// adaptedRMFromCheckpoint is the run's base reward model with a
// checkpoint's adapters and value head.
func adaptedRMFromCheckpoint(ctx context.Context, b compute.Backend, m configs.Model, seed int64, ck *checkpoints.Checkpoint) (*rewards.RewardModel, error) {
	rm, err := baseRM(ctx, b, m, seed)
	if err != nil {
		return nil, err
	}
	if err := rm.Backbone.LoadAdapters(ctx, ck.Dir); err != nil {
		return nil, err
	}
	path, err := ck.Path(RMHeadFile)
	if err != nil {
		return nil, err
	}
	return rm, rm.LoadHead(path)
}

// baseRM is the model section's reward model without adapters: model.path
// (a Hugging Face directory; its value head is loaded when present) or a
// seeded random model of model.init_config (with model.tokenizer, or the
// untrained byte-level tokenizer).
func baseRM(ctx context.Context, b compute.Backend, m configs.Model, seed int64) (*rewards.RewardModel, error) {
	tok, err := policy.LoadTokenizer(m.Tokenizer)
	if err != nil {
		return nil, err
	}
	if m.Path != "" {
		return rewards.LoadRM(ctx, b, m.Path, rewards.RMLoadOptions{Tokenizer: tok, ChatTemplate: m.ChatTemplate, Seed: uint64(seed)})
	}
	cfg, err := policy.LoadConfig(m.InitConfig)
	if err != nil {
		return nil, fmt.Errorf("trainer: %w", err)
	}
	if tok == nil {
		if tok, err = tokenizer.NewByteLevel(); err != nil {
			return nil, fmt.Errorf("trainer: %w", err)
		}
	}
	if tok.VocabSize() > cfg.VocabSize {
		return nil, fmt.Errorf("trainer: tokenizer has %d tokens, model vocab_size %d", tok.VocabSize(), cfg.VocabSize)
	}
	tmplDir := ""
	if m.Tokenizer != "" {
		tmplDir = policy.TokenizerDir(m.Tokenizer)
	}
	tmpl, err := policy.LoadTemplate(m.ChatTemplate, tmplDir)
	if err != nil {
		return nil, err
	}
	return rewards.NewRM(b, cfg, tok, tmpl, uint64(seed))
}

// RMData is the tokenized training and held-out pairs of a run.
type RMData struct {
	Train, Eval []RMExample
	Truncated   int // sides cut to max_length
}

// LoadRMData reads train_data (and eval_data, or splits eval_fraction off
// the training pairs with the run seed) and tokenizes both.
func LoadRMData(ctx context.Context, cfg configs.RM, rm *rewards.RewardModel, log io.Writer) (RMData, error) {
	train, err := ReadPairFiles(ctx, cfg.TrainData)
	if err != nil {
		return RMData{}, err
	}
	var eval []Pair
	if len(cfg.EvalData) > 0 {
		if eval, err = ReadPairFiles(ctx, cfg.EvalData); err != nil {
			return RMData{}, err
		}
	} else {
		train, eval = SplitEval(train, cfg.EvalFraction, cfg.Seed, func(p Pair) string { return p.Prompt })
	}
	var d RMData
	var cut int
	if d.Train, d.Truncated, err = TokenizePairs(rm, train, cfg.Preamble); err != nil {
		return RMData{}, err
	}
	if d.Eval, cut, err = TokenizePairs(rm, eval, cfg.Preamble); err != nil {
		return RMData{}, err
	}
	d.Truncated += cut
	if !cfg.PairMargins {
		for _, exs := range [][]RMExample{d.Train, d.Eval} {
			for i := range exs {
				exs[i].Margin = 0
			}
		}
	}
	if d.Truncated > 0 && log != nil {
		fmt.Fprintf(log, "train-rm: warning: %d of %d sides longer than max_length %d were truncated\n",
			d.Truncated, 2*(len(train)+len(eval)), cfg.MaxLength)
	}
	return d, nil
}

// RMSchedule derives the run's step count and learning-rate schedule:
// max_epochs full passes of whole batches, capped by max_steps when set.
func RMSchedule(cfg configs.RM, trainPairs int) optim.Schedule {
	total := cfg.MaxEpochs * (trainPairs / cfg.TrainBatchSize)
	if cfg.MaxSteps > 0 {
		total = min(total, cfg.MaxSteps)
	}
	return optim.Schedule{Peak: cfg.Optim.LearningRate, Warmup: optim.WarmupSteps(total, cfg.Optim.WarmupRatio),
		Total: total, MinRatio: cfg.Optim.MinLRRatio, Kind: cfg.Optim.Scheduler}
}
