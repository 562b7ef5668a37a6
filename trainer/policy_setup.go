package trainer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"

	"acecoder/configs"
	"acecoder/policy"
	"acecoder/policy/safetensors"
	"acecoder/policy/tokenizer"
	"acecoder/rewards"
	"acecoder/rollout"
)

// TextModel is a policy with the tokenizer and chat template it reads and
// writes text with (rollout.Text: encode, decode, prompts, stop ids).
type TextModel struct {
	rollout.Text
	Model        *policy.Model
	TemplateSpec string // the chat_template setting it was built from
}

// PadID is the id used for padding (never attended to).
func (t *TextModel) PadID() int32 {
	if id, ok := t.Tok.PAD(); ok {
		return int32(id)
	}
	if ids := t.StopIDs(); len(ids) > 0 {
		return ids[0]
	}
	return 0
}

// LoadPolicyModel builds a policy from a model section: a Hugging Face
// directory (model.path; tokenizer and template from it unless given), or a
// seeded random model of model.init_config (with model.tokenizer, or the
// untrained byte-level tokenizer). Called twice with the same arguments it
// gives two models with identical weights in separate stores (the actor
// and the frozen reference).
func LoadPolicyModel(ctx context.Context, b compute.Backend, m configs.Model, seed int64) (*TextModel, error) {
	tok, err := loadTokenizer(m.Tokenizer)
	if err != nil {
		return nil, err
	}
	var pm *policy.Model
	dir := ""
	if m.Path != "" {
		dir = m.Path
		if pm, err = policy.Load(ctx, b, m.Path, policy.Options{}); err != nil {
			return nil, err
		}
		if tok == nil {
			if tok, err = tokenizer.LoadDir(m.Path); err != nil {
				return nil, fmt.Errorf("trainer: %w", err)
			}
		}
	} else {
		cfg, err := policy.LoadConfig(m.InitConfig)
		if err != nil {
			return nil, fmt.Errorf("trainer: %w", err)
		}
		if pm, err = policy.New(b, cfg, policy.InitOptions{Seed: uint64(seed)}); err != nil {
			return nil, err
		}
		if tok == nil {
			if tok, err = tokenizer.NewByteLevel(); err != nil {
				return nil, fmt.Errorf("trainer: %w", err)
			}
		}
	}
	if m.Tokenizer != "" {
		dir = tokenizerDir(m.Tokenizer)
	}
	if tok.VocabSize() > pm.Config.VocabSize {
		return nil, fmt.Errorf("trainer: tokenizer has %d tokens, model vocab_size %d", tok.VocabSize(), pm.Config.VocabSize)
	}
	tmpl, err := rewards.LoadTemplate(m.ChatTemplate, dir)
	if err != nil {
		return nil, err
	}
	return &TextModel{Text: rollout.Text{Tok: tok, Template: tmpl}, Model: pm, TemplateSpec: m.ChatTemplate}, nil
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

// SaveTextModel writes a Hugging Face directory: config.json, weights and
// the tokenizer files, so the result loads with LoadPolicyModel (model.path).
func SaveTextModel(ctx context.Context, t *TextModel, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("trainer: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".save-*")
	if err != nil {
		return fmt.Errorf("trainer: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := t.Tok.Save(tmp); err != nil {
		return fmt.Errorf("trainer: %w", err)
	}
	if err := t.Model.Save(ctx, dir, policy.SaveOptions{TokenizerDir: tmp}); err != nil {
		return err
	}
	return nil
}

var errNoPrompts = errors.New("trainer: no usable prompts")
