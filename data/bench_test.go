package data

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"acecoder/rewards"
)

func synthReplyText(n int) string {
	tests := make([]string, n)
	for i := range tests {
		tests[i] = fmt.Sprintf("assert solve(%d, [1, 2, 3], 'abc') == %d", i, i*i)
	}
	b, _ := json.Marshal(SynthReply{Question: strings.Repeat("Describe the problem. ", 40), Tests: tests})
	return "```json\n" + string(b) + "\n```"
}

// BenchmarkRecoverJSON measures recovery of a 20-test reply cut in its last
// test (the repair path; a complete reply decodes directly).
func BenchmarkRecoverJSON(b *testing.B) {
	full := synthReplyText(20)
	cut := full[:len(full)-30]
	b.SetBytes(int64(len(cut)))
	for b.Loop() {
		if _, err := ParseSynthReply(cut); err != nil {
			b.Fatal(err)
		}
	}
}

func writeBenchRows(b *testing.B, n int) string {
	path := filepath.Join(b.TempDir(), "rows.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	row := sampleAceRows()[0]
	for i := 0; i < 14; i++ {
		row.Inferences = append(row.Inferences, row.Inferences[i%2])
	}
	enc := json.NewEncoder(f)
	for i := 0; i < n; i++ {
		row.ID = fmt.Sprint(i)
		enc.Encode(row)
	}
	f.Close()
	return path
}

// BenchmarkReadJSONL reads AceCode rows with 16 inferences each.
func BenchmarkReadJSONL(b *testing.B) {
	const n = 2000
	path := writeBenchRows(b, n)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	for b.Loop() {
		if _, err := ReadAceCode(context.Background(), path, func(AceCodeRow) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSelectPairs applies the pair rule to 16 programs.
func BenchmarkSelectPairs(b *testing.B) {
	rates, texts := make([]float64, 16), make([]string, 16)
	for i := range rates {
		rates[i], texts[i] = float64(i%6)/5, fmt.Sprint("program ", i)
	}
	for b.Loop() {
		SelectPairs(rates, texts, DefaultPairRule())
	}
}

// BenchmarkSynthStage runs the synth stage against a loopback server that
// answers at once, measuring the pipeline's own overhead per row.
func BenchmarkSynthStage(b *testing.B) {
	body, _ := json.Marshal(ChatResponse{Choices: []ChatChoice{{Message: Message{Role: "assistant", Content: synthReplyText(20)}}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
	defer srv.Close()
	dir := b.TempDir()
	seeds := filepath.Join(dir, "seeds.jsonl")
	const n = 500
	var sb strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "{\"id\":\"s%d\",\"program\":\"def solve(a, b, c):\\n    print(a)\\n    return a * a\\n\"}\n", i)
	}
	os.WriteFile(seeds, []byte(sb.String()), 0o644)
	c, _ := NewClient(ClientConfig{Endpoint: srv.URL, Model: "m", Concurrency: 8}, nil)
	p, _ := LoadPrompts()
	i := 0
	for b.Loop() {
		out := filepath.Join(dir, fmt.Sprintf("out%d.jsonl", i))
		i++
		sum, err := Synth(context.Background(), SynthConfig{StageIO: StageIO{Input: seeds, Output: out, Workers: 8}, Client: c, Prompts: p, Temperature: 0.7})
		if err != nil || sum.Written != n {
			b.Fatalf("synth: %v %+v", err, sum)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkExecutors compares the plain interpreter with the sandboxed
// runner on 32 programs × 10 tests.
func BenchmarkExecutors(b *testing.B) {
	jobs := make([]ExecJob, 32)
	for i := range jobs {
		tests := make([]string, 10)
		for k := range tests {
			tests[k] = fmt.Sprintf("assert sq(%d) == %d", k, k*k+i%2)
		}
		jobs[i] = ExecJob{ID: fmt.Sprint(i), Program: "def sq(x):\n    return x * x\n", Tests: tests}
	}
	r, err := rewards.NewRunner(context.Background(), rewards.RunnerOptions{Workers: 2, Timeout: 2 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for name, ex := range map[string]Executor{"unsandboxed": &UnsandboxedPython{Workers: 2}, "runner": NewRunnerExecutor(r)} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := ex.Execute(context.Background(), jobs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(jobs)*b.N)/b.Elapsed().Seconds(), "programs/s")
		})
	}
}
