package trainer

import (
	"context"
	"errors"
	"io"

	"github.com/gomlx/compute"

	"acecoder/configs"
	"acecoder/policy"
	"acecoder/policy/safetensors"
)

// LoadPolicyModel builds a policy from a model section: a Hugging Face
// directory (model.path; tokenizer and template from it unless given), or a
// seeded random model of model.init_config (with model.tokenizer, or the
// untrained byte-level tokenizer). Called twice with the same arguments it
// gives two models with identical weights in separate stores (the actor
// and the frozen reference).
func LoadPolicyModel(ctx context.Context, b compute.Backend, m configs.Model, seed int64) (*policy.TextModel, error) {
	tm, err := policy.LoadTextModel(ctx, b, policy.Source{Path: m.Path, InitConfig: m.InitConfig, Tokenizer: m.Tokenizer,
		ChatTemplate: m.ChatTemplate, Seed: uint64(seed), Adapter: m.Adapter, LoRA: loraOf(m)})
	if err != nil {
		return nil, err
	}
	tm.Model.Decoder.RecomputeLayers = m.GradientCheckpointing
	return tm, nil
}

// loraOf is the model section's fresh adapters (nil without lora_rank).
func loraOf(m configs.Model) *policy.LoRA {
	if m.LoRARank <= 0 {
		return nil
	}
	return &policy.LoRA{Rank: m.LoRARank, Alpha: m.LoRAAlpha, Targets: m.TargetModules}
}

// WriteModelWeights writes m's weights as one float32 safetensors file,
// streamed tensor by tensor.
func WriteModelWeights(ctx context.Context, m *policy.Model, w io.Writer) error {
	var ts []safetensors.Tensor
	for _, p := range m.Config.Params() {
		if err := ctx.Err(); err != nil {
			return err
		}
		t, err := m.WeightTensor(p.Name, safetensors.F32)
		if err != nil {
			return err
		}
		ts = append(ts, t)
	}
	return safetensors.WriteTo(w, ts, map[string]string{"format": "pt"})
}

var errNoPrompts = errors.New("trainer: no usable prompts")
