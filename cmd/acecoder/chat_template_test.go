package main

import (
	"acecoder/internal/shareddata"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChatTemplateCommand(t *testing.T) {
	dir := filepath.Join(shareddata.Dir(t), "chat_templates")
	data, err := os.ReadFile(filepath.Join(dir, "chat_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []json.RawMessage
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]string
	if err := json.Unmarshal(data, &expected); err != nil {
		t.Fatal(err)
	}
	// A tokenizer_config.json carrying the Llama-3 template and its BOS.
	tmpl, err := os.ReadFile(filepath.Join(dir, "llama3-8b-instruct.jinja"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"chat_template": string(tmpl), "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"})
	cfgPath := filepath.Join(t.TempDir(), "tokenizer_config.json")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, raw := range cases {
		var c struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		casePath := filepath.Join(t.TempDir(), "case.json")
		if err := os.WriteFile(casePath, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runWithStdin("", "chat-template", "--tokenizer-config", cfgPath, "--case", casePath)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.Name, code, errs)
		}
		if want := expected["llama3-8b-instruct/"+c.Name]; out != want {
			t.Errorf("%s: got %q, want %q", c.Name, out, want)
		}
		code, out, errs = runWithStdin(string(raw), "chat-template", "--template", filepath.Join(dir, "qwen2.5-instruct.jinja"), "--case", "-")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.Name, code, errs)
		}
		if want := expected["qwen2.5-instruct/"+c.Name]; out != want {
			t.Errorf("%s (qwen, stdin): got %q, want %q", c.Name, out, want)
		}
	}
}

func TestChatTemplateCommandChatML(t *testing.T) {
	code, out, errs := runWithStdin(`{"messages": [{"role": "user", "content": "hi"}], "add_generation_prompt": true}`,
		"chat-template", "--chatml", "--case", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if want := "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	code, _, errs = runWithStdin(`{"messages": []}`, "chat-template", "--case", "-")
	if code == 0 || !strings.Contains(errs, "--tokenizer-config") {
		t.Errorf("no template source: exit %d, stderr %q", code, errs)
	}
}
