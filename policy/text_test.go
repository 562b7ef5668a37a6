package policy

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"acecoder/internal/shareddata"
	"acecoder/policy/chat"
	"acecoder/policy/tokenizer"
)

func tinyText(t *testing.T) Text {
	t.Helper()
	dir := filepath.Join("..", "testdata", "tokenizer", "tiny512")
	tok, err := tokenizer.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := chat.LoadConfig(filepath.Join(dir, "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return Text{Tok: tok, Template: tmpl}
}

func TestAceCoderPromptAndStops(t *testing.T) {
	tx := tinyText(t)
	ids, err := tx.AceCoderPrompt("Add two numbers.\n")
	if err != nil {
		t.Fatal(err)
	}
	got := tx.Tok.Decode(toInts(ids), false)
	want := "<|im_start|>user\nPlease provide a self-contained Python script that solves the following problem in a markdown code block:\n```\nAdd two numbers.\n```\n<|im_end|>\n<|im_start|>assistant\n" + AceCoderPreamble
	if got != want {
		t.Errorf("prompt renders as\n%q\nwant\n%q", got, want)
	}
	if stops := tx.StopIDs(); !slices.Contains(stops, 2) || !slices.Contains(stops, 0) {
		t.Errorf("stop ids %v: want <|im_end|> (2) and <|endoftext|> (0)", stops)
	}
	stop := tx.StopAt([]string{"```"})
	code := tx.Encode("def f():\n    return 1\n``")
	if stop(0, code) {
		t.Error("stopped before the fence closed")
	}
	if !stop(0, append(code, tx.Encode("`\n")...)) {
		t.Error("did not stop after the closing fence")
	}
	if tx.StopAt(nil) != nil {
		t.Error("no stop strings should give no StopFunc")
	}
}

func TestCutAtStop(t *testing.T) {
	cases := []struct {
		name, text string
		stops      []string
		want       string
		cut        bool
	}{
		{"none", "abc", nil, "abc", false},
		{"first of two", "a;b|c", []string{"|", ";"}, "a", true},
		{"absent", "abc", []string{"x"}, "abc", false},
		{"empty stop ignored", "abc", []string{""}, "abc", false},
		{"at start", "\n\nx", []string{"\n\n"}, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := CutAtStop(tc.text, tc.stops)
			if got != tc.want || cut != tc.cut {
				t.Errorf("CutAtStop(%q, %q) = %q, %v; want %q, %v", tc.text, tc.stops, got, cut, tc.want, tc.cut)
			}
		})
	}
}

func FuzzCutAtStop(f *testing.F) {
	f.Add("abc```def", "```")
	f.Fuzz(func(t *testing.T, text, stop string) {
		got, cut := CutAtStop(text, []string{stop})
		if !strings.HasPrefix(text, got) || (cut && stop != "" && strings.Contains(got, stop)) {
			t.Errorf("CutAtStop(%q, %q) = %q", text, stop, got)
		}
	})
}

func toInts(ids []int32) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}

// TestContinuePromptPublishedTemplates renders AceCoder's sampling turn
// with Qwen2.5's and Llama 3's own templates: the assistant turn is
// continued (no end-of-turn token, no second assistant header), as
// transformers' continue_final_message writes it.
func TestContinuePromptPublishedTemplates(t *testing.T) {
	const user = "Please provide a self-contained Python script that solves the following problem in a markdown code block:\n```\n\"\"\"\nWrite f.\nassert f(1) == 1\n\"\"\"\n```\n"
	const pre = "Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:\n```python"
	msgs := []chat.Message{{"role": "user", "content": user}, {"role": "assistant", "content": pre}}
	tests := []struct {
		name, file string
		vars       map[string]any
		want       string
	}{
		{"qwen2.5", "qwen2.5-instruct.jinja", nil,
			"<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n" + user +
				"<|im_end|>\n<|im_start|>assistant\n" + pre},
		// Llama 3 trims each message's content.
		{"llama3", "llama3-8b-instruct.jinja", map[string]any{"bos_token": "<|begin_of_text|>"},
			"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n" + strings.TrimSpace(user) +
				"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" + pre},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := chat.LoadFile(shareddata.Path(t, "chat_templates", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if tc.vars != nil {
				tmpl = tmpl.WithVars(tc.vars)
			}
			got, err := RenderContinued(tmpl, msgs)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("continued:\n%q\nwant\n%q", got, tc.want)
			}
			closed, err := tmpl.Render(msgs, chat.Options{AddGenerationPrompt: true})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(closed, got) || len(closed) <= len(got) {
				t.Errorf("the closed rendering should extend the continued one with an end of turn and a new header:\n%q", closed)
			}
		})
	}
	if _, err := RenderContinued(nil, msgs); err == nil {
		t.Error("no template: no error")
	}
	tmpl, err := chat.ChatML()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RenderContinued(tmpl, []chat.Message{{"role": "user", "content": ""}}); err == nil {
		t.Error("empty last message: no error")
	}
}
