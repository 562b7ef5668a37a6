package trainer

import (
	"context"
	"fmt"
	"io"

	"acecoder/checkpoints"
	"acecoder/policy"
	"acecoder/policy/safetensors"
)

// Checkpoint files and state keys of a reward-model run. The model files
// form a Hugging Face directory, so a checkpoint also loads with
// rewards.LoadRM.
const (
	RMWeightsFile   = "model.safetensors"
	RMOptimizerFile = "optimizer.safetensors"
	// RMHeadFile holds the value head of an adapted reward model, whose
	// checkpoint carries the adapters instead of the weights.
	RMHeadFile = "value_head.safetensors"
)

// rmModelState records how the checkpoint's model renders text; a resumed
// run must tokenize its pairs the same way.
type rmModelState struct {
	ChatTemplate string `json:"chat_template"`
	MaxLength    int    `json:"max_length"`
	Preamble     bool   `json:"preamble"`
}

// rmRNGState: every random draw of the loop derives from the seed (epoch
// order, dropout masks), so the seed is the whole RNG state.
type rmRNGState struct {
	Seed int64 `json:"seed"`
}

// rmLoopState is the loop's progress beyond the data cursor.
type rmLoopState struct {
	TotalSteps int `json:"total_steps"`
	TrainPairs int `json:"train_pairs"`
	EvalPairs  int `json:"eval_pairs"`
}

// CheckpointContent returns everything needed to resume t: weights and
// tokenizer as a Hugging Face directory, Adam moments, RNG seed, data
// cursor, loop state and the resolved config.
func (t *RMTrainer) CheckpointContent(ctx context.Context, tokFiles map[string][]byte, chatTemplate string, preamble bool, config []byte) (checkpoints.Content, error) {
	cfgJSON, err := t.RM.ConfigJSON()
	if err != nil {
		return checkpoints.Content{}, err
	}
	files := []checkpoints.File{
		{Name: "config.json", Write: checkpoints.Bytes(cfgJSON)},
		{Name: RMOptimizerFile, Write: t.Opt.WriteState},
	}
	if bb := t.RM.Backbone; bb.Decoder.LoRA != nil {
		js, err := bb.AdapterConfigJSON(bb.SourceDir)
		if err != nil {
			return checkpoints.Content{}, err
		}
		files = append(files, checkpoints.File{Name: policy.AdapterConfigFile, Write: checkpoints.Bytes(js)},
			checkpoints.File{Name: policy.AdapterWeightsFile, Write: func(w io.Writer) error {
				ts, err := bb.AdapterTensors(ctx)
				if err != nil {
					return err
				}
				return safetensors.WriteTo(w, ts, map[string]string{"format": "pt"})
			}},
			checkpoints.File{Name: RMHeadFile, Write: t.RM.WriteHead})
	} else {
		files = append(files, checkpoints.File{Name: RMWeightsFile, Write: func(w io.Writer) error { return t.RM.WriteWeights(ctx, w) }})
	}
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json"} {
		if data, ok := tokFiles[name]; ok {
			files = append(files, checkpoints.File{Name: name, Write: checkpoints.Bytes(data)})
		}
	}
	return checkpoints.Content{
		Files: files,
		State: map[string]any{
			"model":  rmModelState{ChatTemplate: chatTemplate, MaxLength: t.RM.MaxLength, Preamble: preamble},
			"rng":    rmRNGState{Seed: t.Settings.Seed},
			"cursor": t.Cursor,
			"loop":   rmLoopState{TotalSteps: t.Settings.Schedule.Total, TrainPairs: len(t.Train), EvalPairs: len(t.Eval)},
		},
		Config: config,
	}, nil
}

// Restore sets the optimiser state and cursor from a checkpoint (the
// weights were loaded with the model). The checkpoint must come from a run
// with the same seed and training pairs: a different data set or seed would
// silently change what "position" means, so it is refused.
func (t *RMTrainer) Restore(ck *checkpoints.Checkpoint, preamble bool) error {
	var rng rmRNGState
	var loop rmLoopState
	var cur RMCursor
	var ms rmModelState
	for key, v := range map[string]any{"rng": &rng, "loop": &loop, "cursor": &cur, "model": &ms} {
		if err := ck.DecodeState(key, v); err != nil {
			return err
		}
	}
	if ms.MaxLength != t.RM.MaxLength || ms.Preamble != preamble {
		return fmt.Errorf("trainer: %s: checkpoint tokenized pairs with max_length %d, preamble %v; this run has %d, %v",
			ck.Dir, ms.MaxLength, ms.Preamble, t.RM.MaxLength, preamble)
	}
	if rng.Seed != t.Settings.Seed || loop.TrainPairs != len(t.Train) {
		return fmt.Errorf("trainer: %s: checkpoint of seed %d with %d training pairs, this run has seed %d and %d",
			ck.Dir, rng.Seed, loop.TrainPairs, t.Settings.Seed, len(t.Train))
	}
	data, err := ck.ReadFile(RMOptimizerFile)
	if err != nil {
		return err
	}
	if err := t.Opt.LoadState(data); err != nil {
		return fmt.Errorf("trainer: %s: %w", ck.Dir, err)
	}
	t.Cursor = cur
	return nil
}
