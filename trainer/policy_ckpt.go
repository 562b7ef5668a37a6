package trainer

import (
	"context"
	"fmt"
	"io"

	"acecoder/checkpoints"
	"acecoder/policy"
	"acecoder/rewards"
	"acecoder/trainer/optim"
)

// textModelState records how a checkpointed policy renders text.
type textModelState struct {
	ChatTemplate string `json:"chat_template"`
}

// PolicyCheckpoint is the content of a policy checkpoint (SFT or RL): the
// model as a Hugging Face directory (config.json, model.safetensors,
// tokenizer files), the optimiser state, the loop state under state's keys
// and the resolved config. The checkpoint directory therefore also loads
// with LoadPolicyModel (model.path).
func PolicyCheckpoint(ctx context.Context, tm *policy.TextModel, opt *optim.Optimizer, state map[string]any, config []byte) (checkpoints.Content, error) {
	cfgJSON, err := tm.Model.Config.Marshal()
	if err != nil {
		return checkpoints.Content{}, err
	}
	tokFiles, err := rewards.TokenizerFiles(tm.Tok)
	if err != nil {
		return checkpoints.Content{}, err
	}
	files := []checkpoints.File{
		{Name: "config.json", Write: checkpoints.Bytes(cfgJSON)},
		{Name: "model.safetensors", Write: func(w io.Writer) error { return WriteModelWeights(ctx, tm.Model, w) }},
		{Name: "optimizer.safetensors", Write: opt.WriteState},
	}
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json"} {
		if data, ok := tokFiles[name]; ok {
			files = append(files, checkpoints.File{Name: name, Write: checkpoints.Bytes(data)})
		}
	}
	st := map[string]any{"text_model": textModelState{ChatTemplate: tm.TemplateSpec}}
	for k, v := range state {
		st[k] = v
	}
	return checkpoints.Content{Files: files, State: st, Config: config}, nil
}

// LoadCheckpointModel loads the policy of a checkpoint written by
// PolicyCheckpoint.
func LoadCheckpointModel(ctx context.Context, tmFrom func(path, tmpl string) (*policy.TextModel, error), ck *checkpoints.Checkpoint) (*policy.TextModel, error) {
	var st textModelState
	if err := ck.DecodeState("text_model", &st); err != nil {
		return nil, err
	}
	return tmFrom(ck.Dir, st.ChatTemplate)
}

// RestoreOptimizer loads the optimiser state of a policy checkpoint.
func RestoreOptimizer(ck *checkpoints.Checkpoint, opt *optim.Optimizer) error {
	data, err := ck.ReadFile("optimizer.safetensors")
	if err != nil {
		return err
	}
	if err := opt.LoadState(data); err != nil {
		return fmt.Errorf("trainer: %s: %w", ck.Dir, err)
	}
	return nil
}
