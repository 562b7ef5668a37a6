package policy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"

	"acecoder/policy/chat"
	"acecoder/policy/tokenizer"
)

// TextModel is a policy with the tokenizer and chat template it reads and
// writes text with (Text: encode, decode, prompts, stop ids).
type TextModel struct {
	Text
	Model        *Model
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

// Source says where a TextModel comes from: a Hugging Face directory
// (Path; tokenizer and template from it unless given), or a seeded random
// model of a config.json (InitConfig; with Tokenizer, or the untrained
// byte-level tokenizer).
type Source struct {
	Path, InitConfig string
	// Tokenizer is a tokenizer.json or a directory holding one ("": the
	// model directory's, or byte-level for InitConfig).
	Tokenizer string
	// ChatTemplate: see LoadTemplate.
	ChatTemplate string
	// Seed of a random model, and of fresh adapters.
	Seed uint64
	// Adapter is a PEFT LoRA directory loaded on top of the model.
	Adapter string
	// LoRA, when set, adds fresh adapters to train (Model.AddAdapters).
	LoRA *LoRA
}

// LoadTextModel builds a TextModel from src. Called twice with the same
// source it gives two models with identical weights in separate stores.
func LoadTextModel(ctx context.Context, b compute.Backend, src Source) (*TextModel, error) {
	tok, err := loadTokenizer(src.Tokenizer)
	if err != nil {
		return nil, err
	}
	var m *Model
	dir := src.Path
	if src.Path != "" {
		if m, err = Load(ctx, b, src.Path, Options{}); err != nil {
			return nil, err
		}
		if tok == nil {
			if tok, err = tokenizer.LoadDir(src.Path); err != nil {
				return nil, fmt.Errorf("policy: %w", err)
			}
		}
	} else {
		cfg, err := LoadConfig(src.InitConfig)
		if err != nil {
			return nil, err
		}
		if m, err = New(b, cfg, InitOptions{Seed: src.Seed}); err != nil {
			return nil, err
		}
		if tok == nil {
			if tok, err = tokenizer.NewByteLevel(); err != nil {
				return nil, fmt.Errorf("policy: %w", err)
			}
		}
	}
	if src.Tokenizer != "" {
		dir = TokenizerDir(src.Tokenizer)
	}
	if tok.VocabSize() > m.Config.VocabSize {
		return nil, fmt.Errorf("policy: tokenizer has %d tokens, model vocab_size %d", tok.VocabSize(), m.Config.VocabSize)
	}
	tmpl, err := LoadTemplate(src.ChatTemplate, dir)
	if err != nil {
		return nil, err
	}
	switch {
	case src.Adapter != "":
		err = m.LoadAdapters(ctx, src.Adapter)
	case src.LoRA != nil:
		err = m.AddAdapters(*src.LoRA, src.Seed)
	}
	if err != nil {
		return nil, err
	}
	return &TextModel{Text: Text{Tok: tok, Template: tmpl}, Model: m, TemplateSpec: src.ChatTemplate}, nil
}

// LoadTokenizer reads a tokenizer.json or a directory holding one; "" is nil.
func LoadTokenizer(spec string) (*tokenizer.Tokenizer, error) { return loadTokenizer(spec) }

func loadTokenizer(spec string) (*tokenizer.Tokenizer, error) {
	if spec == "" {
		return nil, nil
	}
	st, err := os.Stat(spec)
	if err != nil {
		return nil, fmt.Errorf("policy: tokenizer: %w", err)
	}
	if st.IsDir() {
		return tokenizer.LoadDir(spec)
	}
	return tokenizer.Load(spec)
}

// TokenizerDir is the directory of a tokenizer setting (the file's folder
// for a tokenizer.json).
func TokenizerDir(spec string) string {
	if st, err := os.Stat(spec); err == nil && st.IsDir() {
		return spec
	}
	return filepath.Dir(spec)
}

// SaveTextModel writes a Hugging Face directory: config.json, weights and
// the tokenizer files, so the result loads with LoadTextModel (Path).
func SaveTextModel(ctx context.Context, t *TextModel, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".save-*")
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := t.Tok.Save(tmp); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	return t.Model.Save(ctx, dir, SaveOptions{TokenizerDir: tmp})
}

// LoadTemplate resolves a chat-template setting: "plain" is the ChatML
// fallback; a path is a .jinja file; "" reads tokenizer_config.json in dir
// and falls back to ChatML when it is absent or has no template.
func LoadTemplate(spec, dir string) (*chat.Template, error) {
	switch {
	case spec == "plain":
		return chat.ChatML()
	case spec != "":
		t, err := chat.LoadFile(spec)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		if data, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json")); err == nil {
			if vars, err := chat.ConfigVars(data); err == nil {
				t = t.WithVars(vars)
			}
		}
		return t, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
	if errors.Is(err, os.ErrNotExist) || (err == nil && !strings.Contains(string(data), `"chat_template"`)) {
		return chat.ChatML()
	}
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	t, err := chat.ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", dir, err)
	}
	return t, nil
}
