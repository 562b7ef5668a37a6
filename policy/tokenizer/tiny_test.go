package tokenizer

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"acecoder/policy/chat"
)

var update = flag.Bool("update", false, "rewrite the tiny tokenizers in testdata/tokenizer from the shared HumanEval corpus")

// tinyTokenizers are the checked-in tokenizers of the tiny test models,
// trained on the HumanEval prompts and solutions:
//   - tiny512 (tiny-qwen2, vocab 512): <|endoftext|>=0 (pad), <|im_start|>=1,
//     <|im_end|>=2 (eos), bytes 3–258, 253 merges, ChatML template;
//   - tiny384-llama (tiny-llama, vocab 384): Llama-3 layout,
//     <|finetune_right_pad_id|>=0, <|begin_of_text|>=1 (BOS, prepended),
//     <|end_of_text|>=2, <|eot_id|>=3 (eos), <|start_header_id|>=4,
//     <|end_header_id|>=5, bytes 6–261, 122 merges, Llama-3 turn template.
var tinyTokenizers = map[string]TrainOptions{
	"tiny512": {Merges: 253, SpecialsFirst: true, ChatTemplate: chat.ChatMLSource},
	"tiny384-llama": {Merges: 122, SpecialsFirst: true, Llama3: true, ChatTemplate: chat.Llama3Source,
		SpecialTokens: []string{"<|finetune_right_pad_id|>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>",
			"<|start_header_id|>", "<|end_header_id|>"},
		BOS: "<|begin_of_text|>", EOS: "<|eot_id|>", PAD: "<|finetune_right_pad_id|>"},
}

func tinyDir(tb testing.TB, name string) string {
	return filepath.Join(repoRootDir(tb), "testdata", "tokenizer", name)
}

func tiny512Dir(tb testing.TB) string { return tinyDir(tb, "tiny512") }

func repoRootDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			tb.Fatal("go.mod not found above the test directory")
		}
		dir = filepath.Dir(dir)
	}
}

// TestTinyGolden retrains the tiny tokenizers and compares them with the
// checked-in files (go test -run TestTinyGolden -args -update rewrites them).
func TestTinyGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("retraining takes a few seconds")
	}
	texts := humanEvalPrompts(t)
	for name, opts := range tinyTokenizers {
		tok, err := TrainByteLevel(context.Background(), texts, opts)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := tok.Save(tinyDir(t, name)); err != nil {
				t.Fatal(err)
			}
		}
		for file, want := range map[string][]byte{"tokenizer.json": tok.fileJSON, "tokenizer_config.json": tok.configJSON} {
			got, err := os.ReadFile(filepath.Join(tinyDir(t, name), file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s differs from a fresh training (rerun with -update if the trainer changed on purpose)", name, file)
			}
		}
	}
}

func TestTiny512(t *testing.T) {
	tok, err := LoadDir(tiny512Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := tok.VocabSize(); n != 512 {
		t.Errorf("VocabSize = %d, want 512", n)
	}
	for want, s := range []string{EndOfText, IMStart, IMEnd} {
		if id, ok := tok.ID(s); !ok || id != want {
			t.Errorf("ID(%s) = %d, %v; want %d", s, id, ok, want)
		}
	}
	if eos, _ := tok.EOS(); eos != 2 {
		t.Errorf("EOS = %d, want 2", eos)
	}
	if pad, _ := tok.PAD(); pad != 0 {
		t.Errorf("PAD = %d, want 0", pad)
	}
	text := "<|im_start|>user\ndef add(a, b):\n    \"\"\"Return a + b.\"\"\"\n<|im_end|>\n"
	ids := tok.Encode(text, false)
	if got := tok.Decode(ids, false); got != text {
		t.Errorf("round trip %q", got)
	}
	if len(ids) >= len(text)*2/3 {
		t.Errorf("%d tokens for %d bytes: merges barely compress code", len(ids), len(text))
	}
	tmpl, err := chat.ParseConfig(tok.ConfigJSON())
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render([]chat.Message{{"role": "user", "content": "hi"}}, chat.Options{AddGenerationPrompt: true})
	if err != nil || got != "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n" {
		t.Errorf("config chat template renders %q, %v", got, err)
	}
}

func TestTiny384Llama(t *testing.T) {
	tok, err := LoadDir(tinyDir(t, "tiny384-llama"))
	if err != nil {
		t.Fatal(err)
	}
	if n := tok.VocabSize(); n != 384 {
		t.Errorf("VocabSize = %d, want 384", n)
	}
	if bos, ok := tok.BOS(); !ok || bos != 1 {
		t.Errorf("BOS = %d, %v; want 1", bos, ok)
	}
	if eos, _ := tok.EOS(); eos != 3 {
		t.Errorf("EOS = %d, want 3 (<|eot_id|>)", eos)
	}
	tmpl, err := chat.ParseConfig(tok.ConfigJSON())
	if err != nil {
		t.Fatal(err)
	}
	text, err := tmpl.Render([]chat.Message{{"role": "user", "content": "sum 12345"}}, chat.Options{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	ids := tok.Encode(text, false)
	if ids[0] != 1 || ids[1] != 4 {
		t.Errorf("rendered prompt should start with <|begin_of_text|><|start_header_id|>: %v", ids[:2])
	}
	if got := tok.Decode(ids, false); got != text {
		t.Errorf("round trip %q, want %q", got, text)
	}
	if ids := tok.Encode("x", true); ids[0] != 1 {
		t.Errorf("Encode with specials must prepend BOS: %v", ids)
	}
}
