package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ardanlabs/jinja"
)

// specialTokenKeys are the tokenizer_config.json entries transformers
// passes to templates (its special_tokens_map).
var specialTokenKeys = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// LoadConfig reads tokenizer_config.json's chat_template and special
// tokens. When the config carries no template, a chat_template.jinja beside
// it (where newer transformers versions save the template) is used.
func LoadConfig(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	t, err := ParseConfig(data)
	if errors.Is(err, errNoTemplate) {
		src, rerr := os.ReadFile(filepath.Join(filepath.Dir(path), "chat_template.jinja"))
		if rerr != nil {
			return nil, fmt.Errorf("chat: %s: %w (and no chat_template.jinja beside it)", path, err)
		}
		if t, err = Parse(string(src)); err != nil {
			return nil, err
		}
		vars, err := ConfigVars(data)
		if err != nil {
			return nil, err
		}
		return t.WithVars(vars), nil
	}
	if err != nil {
		return nil, fmt.Errorf("chat: %s: %w", path, err)
	}
	return t, nil
}

// errNoTemplate marks a tokenizer config without chat_template.
var errNoTemplate = errors.New("tokenizer config has no chat_template")

// ParseConfig builds a Template from tokenizer_config.json contents. The
// chat_template may be a string or a list of {"name", "template"} objects.
// bos_token, eos_token, … (strings or {"content": …} objects) become
// template variables.
func ParseConfig(data []byte) (*Template, error) {
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("parse tokenizer config: %w", err)
	}
	raw, ok := cfg["chat_template"]
	if !ok || string(raw) == "null" {
		return nil, errNoTemplate
	}
	t := &Template{named: map[string]*jinja.Template{}, vars: map[string]any{}}
	var single string
	if err := json.Unmarshal(raw, &single); err == nil {
		c, err := compile(single)
		if err != nil {
			return nil, err
		}
		t.named["default"] = c
	} else {
		var list []struct {
			Name     string `json:"name"`
			Template string `json:"template"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("chat_template is neither a string nor a list of named templates: %w", err)
		}
		for _, nt := range list {
			c, err := compile(nt.Template)
			if err != nil {
				return nil, fmt.Errorf("template %q: %w", nt.Name, err)
			}
			t.named[nt.Name] = c
		}
	}
	vars, err := configVars(cfg)
	if err != nil {
		return nil, err
	}
	t.vars = vars
	return t, nil
}

// ConfigVars returns the template variables tokenizer_config.json defines
// (bos_token, eos_token, …, additional_special_tokens), for use with
// WithVars when the template comes from a separate .jinja file.
func ConfigVars(data []byte) (map[string]any, error) {
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("chat: parse tokenizer config: %w", err)
	}
	return configVars(cfg)
}

func configVars(cfg map[string]json.RawMessage) (map[string]any, error) {
	vars := map[string]any{}
	for _, key := range specialTokenKeys {
		if s, ok := tokenContent(cfg[key]); ok {
			vars[key] = s
		}
	}
	if r, ok := cfg["additional_special_tokens"]; ok {
		var items []json.RawMessage
		if err := json.Unmarshal(r, &items); err != nil {
			return nil, fmt.Errorf("additional_special_tokens: %w", err)
		}
		var list []any
		for _, it := range items {
			if s, ok := tokenContent(it); ok {
				list = append(list, s)
			}
		}
		vars["additional_special_tokens"] = list
	}
	return vars, nil
}

// tokenContent reads a special token given as a string or {"content": …}.
func tokenContent(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Content != nil {
		return *obj.Content, true
	}
	return "", false
}
