package tokenizer

import (
	"acecoder/internal/shareddata"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// humanEvalPrompts reads the 164 HumanEval prompts and canonical solutions.
func humanEvalPrompts(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join(shareddata.Dir(tb), "benchmarks", "humaneval", "HumanEval.jsonl.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var texts []string
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var p struct {
			Prompt   string `json:"prompt"`
			Solution string `json:"canonical_solution"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			tb.Fatal(err)
		}
		texts = append(texts, p.Prompt+p.Solution)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return texts
}

// benchEncode encodes the HumanEval corpus per iteration; cold clears the
// word cache first so that every word goes through BPE.
func benchEncode(b *testing.B, tok *Tokenizer, cold bool) {
	texts := humanEvalPrompts(b)
	nBytes, nTokens := 0, 0
	for _, s := range texts {
		nBytes += len(s)
		nTokens += len(tok.Encode(s, false))
	}
	b.SetBytes(int64(nBytes))
	b.ResetTimer()
	for b.Loop() {
		if cold {
			tok.model.resetCache()
		}
		for _, s := range texts {
			tok.Encode(s, false)
		}
	}
	b.ReportMetric(float64(nTokens)*float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}

// BenchmarkEncodeHumanEval: Qwen2 vocabulary, warm word cache.
func BenchmarkEncodeHumanEval(b *testing.B) { benchEncode(b, qwen2(b), false) }

// BenchmarkEncodeHumanEvalCold: as above with the cache cleared each pass.
func BenchmarkEncodeHumanEvalCold(b *testing.B) { benchEncode(b, qwen2(b), true) }

// BenchmarkEncodeHumanEvalTiny512: the tiny models' tokenizer, cold.
func BenchmarkEncodeHumanEvalTiny512(b *testing.B) {
	tok, err := LoadDir(tiny512Dir(b))
	if err != nil {
		b.Fatal(err)
	}
	benchEncode(b, tok, true)
}

func BenchmarkDecodeHumanEval(b *testing.B) {
	tok := qwen2(b)
	var all [][]int
	n := 0
	for _, s := range humanEvalPrompts(b) {
		ids := tok.Encode(s, false)
		all = append(all, ids)
		n += len(ids)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, ids := range all {
			tok.Decode(ids, false)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}

func BenchmarkLoadQwen2(b *testing.B) {
	path := filepath.Join(shareddata.Dir(b), "tokenizers", "qwen2", "tokenizer.json.gz")
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}
