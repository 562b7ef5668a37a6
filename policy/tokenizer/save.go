package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"
)

// Save writes tokenizer.json and tokenizer_config.json into dir (created if
// needed), byte for byte as they were loaded or trained, so that a saved
// model directory opens in transformers. A tokenizer loaded without a
// config gets a minimal one naming its special-token roles.
func (t *Tokenizer) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tokenizer: save: %w", err)
	}
	cfg := t.configJSON
	if len(cfg) == 0 {
		var err error
		if cfg, err = t.minimalConfig(); err != nil {
			return fmt.Errorf("tokenizer: save: %w", err)
		}
	}
	for name, data := range map[string][]byte{"tokenizer.json": t.fileJSON, "tokenizer_config.json": cfg} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("tokenizer: save: %w", err)
		}
	}
	return nil
}

func (t *Tokenizer) minimalConfig() ([]byte, error) {
	cfg := map[string]any{"tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": false}
	for key, tok := range map[string]string{"bos_token": t.specials.BOS, "eos_token": t.specials.EOS,
		"pad_token": t.specials.PAD, "unk_token": t.specials.UNK} {
		if tok != "" {
			cfg[key] = tok
		} else {
			cfg[key] = nil
		}
	}
	return marshalJSON(cfg)
}

// ConfigJSON returns tokenizer_config.json as loaded (nil when absent); the
// chat package reads its chat_template.
func (t *Tokenizer) ConfigJSON() []byte { return t.configJSON }
