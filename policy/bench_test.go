package policy

import (
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Benchmarks on config (a), testdata/models/tiny-qwen2 (d128, 4 layers,
// 4/2 heads, ff352, vocab 512, tied), float32, batch 8 × 128 as in the
// PyTorch reference. Run with
//
//	GOEXPERIMENT=simd go test -run '^$' -bench . -benchtime 10x ./policy/
//
// ACECODER_TEST_BACKEND selects another backend, e.g.
// onnx:/abs/libonnxruntime.so.1 (build with -tags onnx).
func benchModel(b *testing.B) *Model {
	m, err := New(testBackend(b), tinyConfig(b, "tiny-qwen2"), InitOptions{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func fullBatch(bsz, seq, vocab int) Batch {
	lens := make([]int, bsz)
	for i := range lens {
		lens[i] = seq
	}
	return LeftPad(mixedSeqs(lens, vocab, 1), 0)
}

// BenchmarkTrainStep: forward + backward + AdamW update.
func BenchmarkTrainStep(b *testing.B) {
	m := benchModel(b)
	tr, err := m.NewLMTrainer(optimizer.Adam().LearningRate(1e-4).WeightDecay(0.01).Done())
	if err != nil {
		b.Fatal(err)
	}
	batch := fullBatch(8, 128, m.Config.VocabSize)
	if _, err := tr.Step(batch); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	cpu := startCPU()
	for b.Loop() {
		if _, err := tr.Step(batch); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
	reportTokens(b, 8*128)
}

// BenchmarkScore: forward to per-token log-probs (what scoring needs).
func BenchmarkScore(b *testing.B) {
	m := benchModel(b)
	batch := fullBatch(8, 128, m.Config.VocabSize)
	if _, err := m.NextTokenLogProbs(batch); err != nil {
		b.Fatal(err)
	}
	cpu := startCPU()
	for b.Loop() {
		if _, err := m.NextTokenLogProbs(batch); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
	reportTokens(b, 8*128)
}

func reportTokens(b *testing.B, tokensPerOp int) {
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(tokensPerOp)/sec, "tok/s")
	b.ReportMetric(sec*1000, "ms/step")
}

// cpuTimer measures the process's CPU time (user + system), a steadier
// figure than wall time on a machine shared with other work.
type cpuTimer struct{ start time.Duration }

func startCPU() cpuTimer { return cpuTimer{cpuTime()} }

func (c cpuTimer) report(b *testing.B) {
	b.ReportMetric((cpuTime()-c.start).Seconds()*1000/float64(b.N), "cpu-ms/step")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
