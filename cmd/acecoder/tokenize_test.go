package main

import (
	"acecoder/internal/shareddata"
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"acecoder/internal/cli"
)

// runWithStdin runs acecoder args with stdin and returns exit code, stdout
// and stderr.
func runWithStdin(stdin string, args ...string) (int, string, string) {
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errb)
	code := cli.Run(context.Background(), root, args, &errb)
	return code, out.String(), errb.String()
}

func TestTokenizeCommand(t *testing.T) {
	tok := filepath.Join(shareddata.Dir(t), "tokenizers", "qwen2", "tokenizer.json.gz")
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{name: "encode", args: []string{"--tokenizer", tok}, stdin: `{"text": "Hello world"}` + "\n" + `{"text": "<|im_end|>"}`,
			want: "{\"ids\":[9707,1879]}\n{\"ids\":[151645]}\n"},
		{name: "decode", args: []string{"--tokenizer", tok, "--decode"}, stdin: `{"ids": [9707, 1879, 151645]}`,
			want: "{\"text\":\"Hello world<|im_end|>\"}\n"},
		{name: "decode skipping specials", args: []string{"--tokenizer", tok, "--decode"},
			stdin: `{"ids": [9707, 151645], "skip_special_tokens": true}`, want: "{\"text\":\"Hello\"}\n"},
		{name: "tokens and split special", args: []string{"--tokenizer", tok, "--tokens", "--split-special"}, stdin: `{"text": "a<|im_end|>"}`,
			want: "{\"ids\":[64,27,91,318,6213,91,29],\"tokens\":[\"a\",\"<\",\"|\",\"im\",\"_end\",\"|\",\">\"]}\n"},
		{name: "decode with clean-up", args: []string{"--tokenizer", tok, "--decode", "--clean-up-spaces", "true"},
			stdin: `{"ids": [9707, 1154, 1879, 753]}`, want: "{\"text\":\"Hello, world!\"}\n"},
		{name: "blank lines ignored", args: []string{"--tokenizer", tok}, stdin: "\n\n", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runWithStdin(tc.stdin, append([]string{"tokenize"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if out != tc.want {
				t.Errorf("stdout = %q, want %q", out, tc.want)
			}
		})
	}
}

func TestTokenizeCommandErrors(t *testing.T) {
	code, _, errs := runWithStdin("", "tokenize")
	if code != cli.ExitUsage {
		t.Errorf("missing --tokenizer: exit %d (%s), want usage error", code, errs)
	}
	code, _, errs = runWithStdin("", "tokenize", "--tokenizer", filepath.Join(t.TempDir(), "nope.json"))
	if code != cli.ExitUsage || !strings.Contains(errs, "nope.json") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
	tok := filepath.Join(shareddata.Dir(t), "tokenizers", "qwen2", "tokenizer.json.gz")
	code, _, errs = runWithStdin(`{"ids": [1]}`, "tokenize", "--tokenizer", tok)
	if code != cli.ExitFailure || !strings.Contains(errs, "line 1") {
		t.Errorf("ids without --decode: exit %d, stderr %q", code, errs)
	}
}
