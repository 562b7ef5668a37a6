package policy_test

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/compute"

	"acecoder/backend"
	"acecoder/bench"
	"acecoder/policy"
)

// Benchmarks of the compute core on the PyTorch reference's shapes (see
// package bench): config (a) d128, 4 layers, 4/2 heads, ff352, vocab 512,
// batch 8 × 128, and config (b) d256, 6 layers, 8/2 heads, ff1024, vocab
// 2048, batch 8 × 256; float32. Run with
//
//	make bench-go   (or: go test -run '^$' -bench . -benchtime 10x ./policy/)
//
// ACECODER_TEST_BACKEND selects another backend, e.g.
// onnx:/abs/libonnxruntime.so.1 (build with -tags onnx). The side-by-side
// table with PyTorch is `acecoder bench compute` (make bench).

func benchBackend(b *testing.B) compute.Backend {
	spec := os.Getenv("ACECODER_TEST_BACKEND")
	if spec == "" {
		spec = backend.Default
	}
	be, err := backend.Open(spec)
	if err != nil {
		b.Fatal(err)
	}
	return be
}

func benchModel(b *testing.B, shape string) (*policy.Model, policy.Batch) {
	s := bench.Shapes[shape]
	m, err := bench.NewModel(benchBackend(b), s)
	if err != nil {
		b.Fatal(err)
	}
	return m, bench.Batch(s)
}

// BenchmarkTrainStep: forward + backward + AdamW, as the trainers run it,
// config (a).
func BenchmarkTrainStep(b *testing.B) { benchTrain(b, "a") }

// BenchmarkTrainStepConfigB is BenchmarkTrainStep on config (b).
func BenchmarkTrainStepConfigB(b *testing.B) { benchTrain(b, "b") }

func benchTrain(b *testing.B, shape string) {
	m, batch := benchModel(b, shape)
	ts, err := bench.NewTrainStep(m, batch)
	if err != nil {
		b.Fatal(err)
	}
	if err := ts.Run(); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	cpu := cpuTime()
	for b.Loop() {
		if err := ts.Run(); err != nil {
			b.Fatal(err)
		}
	}
	report(b, cpu, len(batch.IDs)*len(batch.IDs[0]))
}

// BenchmarkScore: forward to per-token log-probs (what scoring needs),
// config (a).
func BenchmarkScore(b *testing.B) { benchScore(b, "a") }

// BenchmarkScoreConfigB is BenchmarkScore on config (b).
func BenchmarkScoreConfigB(b *testing.B) { benchScore(b, "b") }

func benchScore(b *testing.B, shape string) {
	m, batch := benchModel(b, shape)
	if err := bench.Score(m, batch); err != nil {
		b.Fatal(err)
	}
	cpu := cpuTime()
	for b.Loop() {
		if err := bench.Score(m, batch); err != nil {
			b.Fatal(err)
		}
	}
	report(b, cpu, len(batch.IDs)*len(batch.IDs[0]))
}

// report adds tok/s, ms/step and the process's CPU time per step (user +
// system, both cores: steadier than wall time on a shared machine).
func report(b *testing.B, cpuStart time.Duration, tokensPerOp int) {
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric((cpuTime()-cpuStart).Seconds()*1000/float64(b.N), "cpu-ms/step")
	b.ReportMetric(float64(tokensPerOp)/sec, "tok/s")
	b.ReportMetric(sec*1000, "ms/step")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
