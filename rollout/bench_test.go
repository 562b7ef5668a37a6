package rollout

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// Benchmarks on config (a), testdata/models/tiny-qwen2 (d128, 4 layers,
// 4/2 heads, ff352, vocab 512), float32, go backend. Run with
//
//	GOEXPERIMENT=simd go test -run '^$' -bench . -benchtime 3x ./rollout/
//
// BenchmarkGenerate is end to end (prefill, decode steps, host sampling):
// N samples of one 16-token prompt, 128 new tokens each, batch N.
// BenchmarkDecodeStep times one decode step with every row at a given
// position (cache length = the power of two above it).
func BenchmarkGenerate(b *testing.B) {
	e := tinyEngine(b)
	const newTokens = 128
	for _, batch := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			reqs := []Request{{PromptIDs: prompts(16)[0], N: batch}}
			opts := Options{Sampling: Sampling{Temperature: 1}, MaxNewTokens: newTokens, BatchSize: batch}
			if _, err := e.Generate(context.Background(), reqs, opts); err != nil { // compile outside the timing
				b.Fatal(err)
			}
			cpu := cpuTime()
			for b.Loop() {
				if _, err := e.Generate(context.Background(), reqs, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime()-cpu).Seconds()*1000/float64(b.N*newTokens), "cpu-ms/step")
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(batch*newTokens)/sec, "tok/s")
			b.ReportMetric(sec*1000/newTokens, "ms/step")
		})
	}
}

func BenchmarkDecodeStep(b *testing.B) {
	e := tinyEngine(b)
	for _, batch := range []int{1, 16} {
		for _, pos := range []int{16, 512} {
			b.Run(fmt.Sprintf("batch=%d/pos=%d", batch, pos), func(b *testing.B) {
				s := stepAt(b, e, batch, pos)
				defer s.close()
				cpu := cpuTime()
				for b.Loop() {
					for _, r := range s.rows {
						r.len = pos
					}
					if err := s.step(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric((cpuTime()-cpu).Seconds()*1000/float64(b.N), "cpu-ms/step")
				b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/step")
			})
		}
	}
}

// stepAt builds a scheduler whose batch rows all hold pos cached tokens.
func stepAt(b *testing.B, e *Engine, batch, pos int) *scheduler {
	if err := e.syncWeights(); err != nil {
		b.Fatal(err)
	}
	s := newScheduler(e, nil, Options{MaxNewTokens: 1, BatchSize: batch}, nil)
	c := e.model.Config
	p := &prompt{n: pos, t: pos, kv: make([]float32, 2*c.NumHiddenLayers*c.KVHeads()*pos*c.HeadDimension())}
	for range batch {
		s.rows = append(s.rows, &row{prompt: p, len: pos, s: Sample{CompletionIDs: []int32{1}}})
	}
	if err := s.layout(); err != nil {
		b.Fatal(err)
	}
	if err := s.step(); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	return s
}

// cpuTime is the process's user + system CPU time: on a machine shared
// with other work it is steadier than wall time (it counts both cores).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
