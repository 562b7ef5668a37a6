package tokenizer

import (
	"acecoder/internal/shareddata"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	qwenOnce sync.Once
	qwenTok  *Tokenizer
	qwenErr  error
)

// qwen2 loads the shared Qwen2 tokenizer once per test binary.
func qwen2(tb testing.TB) *Tokenizer {
	tb.Helper()
	dir := filepath.Join(shareddata.Dir(tb), "tokenizers", "qwen2")
	qwenOnce.Do(func() { qwenTok, qwenErr = Load(filepath.Join(dir, "tokenizer.json.gz")) })
	if qwenErr != nil {
		tb.Fatal(qwenErr)
	}
	return qwenTok
}

// vectorCase is one llama.cpp tokenizer test string and its expected ids.
type vectorCase struct {
	text string
	ids  []int
}

// readVectors parses a .inp file (strings separated by
// "\n__ggml_vocab_test__\n") and its .out file (one line of ids each).
func readVectors(tb testing.TB, base string) []vectorCase {
	tb.Helper()
	inp, err := os.ReadFile(base + ".inp")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := os.ReadFile(base + ".out")
	if err != nil {
		tb.Fatal(err)
	}
	texts := strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	if texts[len(texts)-1] == "" {
		texts = texts[:len(texts)-1]
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(texts) {
		tb.Fatalf("%s: %d strings but %d id lines", base, len(texts), len(lines))
	}
	cases := make([]vectorCase, len(texts))
	for i, text := range texts {
		cases[i].text = text
		for _, f := range strings.Fields(lines[i]) {
			id, err := strconv.Atoi(f)
			if err != nil {
				tb.Fatalf("%s line %d: %v", base, i+1, err)
			}
			cases[i].ids = append(cases[i].ids, id)
		}
	}
	return cases
}
