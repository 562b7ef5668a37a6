package policy

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
