package trainer

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"acecoder/checkpoints"
	"acecoder/policy"
	"acecoder/policy/safetensors"
	"acecoder/rewards"
	"acecoder/trainer/optim"
)

// textModelState records how a checkpointed policy renders text.
type textModelState struct {
	ChatTemplate string `json:"chat_template"`
}

// PolicyCheckpoint is the content of a policy checkpoint (SFT or RL): the
// model as a Hugging Face directory (config.json, model.safetensors,
// tokenizer files) — or, for a policy with LoRA adapters, config.json and
// the adapters in PEFT's format —, the optimiser state, the loop state
// under state's keys and the resolved config. A full checkpoint directory
// therefore also loads with LoadPolicyModel (model.path), an adapter one
// as model.adapter on the run's base model.
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
		{Name: "optimizer.safetensors", Write: opt.WriteState},
	}
	if tm.Model.Decoder.LoRA != nil { // adapters only; the base comes from the run's model
		js, err := tm.Model.AdapterConfigJSON(tm.Model.SourceDir)
		if err != nil {
			return checkpoints.Content{}, err
		}
		files = append(files, checkpoints.File{Name: policy.AdapterConfigFile, Write: checkpoints.Bytes(js)},
			checkpoints.File{Name: policy.AdapterWeightsFile, Write: func(w io.Writer) error {
				ts, err := tm.Model.AdapterTensors(ctx)
				if err != nil {
					return err
				}
				return safetensors.WriteTo(w, ts, map[string]string{"format": "pt"})
			}})
	} else {
		files = append(files, checkpoints.File{Name: "model.safetensors", Write: func(w io.Writer) error { return WriteModelWeights(ctx, tm.Model, w) }})
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
// PolicyCheckpoint: the model directory it holds (tmFrom), or, for an
// adapted policy, the run's base model (base) with the checkpoint's
// adapters.
func LoadCheckpointModel(ctx context.Context, tmFrom func(path, tmpl string) (*policy.TextModel, error),
	base func() (*policy.TextModel, error), ck *checkpoints.Checkpoint) (*policy.TextModel, error) {
	var st textModelState
	if err := ck.DecodeState("text_model", &st); err != nil {
		return nil, err
	}
	if !ck.Has(policy.AdapterConfigFile) {
		return tmFrom(ck.Dir, st.ChatTemplate)
	}
	tm, err := base()
	if err != nil {
		return nil, err
	}
	return tm, tm.Model.LoadAdapters(ctx, ck.Dir)
}

// PolicyAdapterDir is where a run with LoRA adapters saves them (PEFT's
// format), beside the merged model in PolicyModelDir.
const PolicyAdapterDir = "adapter"

// SaveFinalPolicy writes a run's trained policy to runDir/model as a full
// Hugging Face directory; a policy with LoRA adapters first writes them to
// runDir/adapter in PEFT's format, and the model directory gets its
// weights merged, one matrix at a time.
func SaveFinalPolicy(ctx context.Context, tm *policy.TextModel, runDir string) (string, error) {
	if tm.Model.Decoder.LoRA != nil {
		if err := tm.Model.SaveAdapters(ctx, filepath.Join(runDir, PolicyAdapterDir), tm.Model.SourceDir); err != nil {
			return "", err
		}
	}
	dir := filepath.Join(runDir, PolicyModelDir)
	return dir, policy.SaveTextModel(ctx, tm, dir)
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
