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

var update = flag.Bool("update", false, "rewrite testdata/tokenizer/tiny512 from the shared HumanEval corpus")

// tiny512Dir is the checked-in tokenizer for the tiny test models
// (vocab_size 512: <|endoftext|>=0, <|im_start|>=1, <|im_end|>=2, bytes
// 3–258, 253 merges learned on the HumanEval prompts and solutions).
func tiny512Dir(tb testing.TB) string {
	return filepath.Join(repoRootDir(tb), "testdata", "tokenizer", "tiny512")
}

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

func trainTiny512(tb testing.TB) *Tokenizer {
	tb.Helper()
	tok, err := TrainByteLevel(context.Background(), humanEvalPrompts(tb), TrainOptions{
		Merges: 253, SpecialsFirst: true, ChatTemplate: chat.ChatMLSource,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// TestTiny512Golden retrains the tiny tokenizer and compares it with the
// checked-in files (go test -run TestTiny512Golden -update rewrites them).
func TestTiny512Golden(t *testing.T) {
	if testing.Short() {
		t.Skip("retraining takes a few seconds")
	}
	tok := trainTiny512(t)
	if *update {
		if err := tok.Save(tiny512Dir(t)); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string][]byte{"tokenizer.json": tok.fileJSON, "tokenizer_config.json": tok.configJSON} {
		got, err := os.ReadFile(filepath.Join(tiny512Dir(t), name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from a fresh training (rerun with -update if the trainer changed on purpose)", name)
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
