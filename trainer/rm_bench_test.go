package trainer

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRMTrainStep measures reward-model training throughput (real
// tokens of both sides per second, forward + backward + optim.AdamW) for the tiny
// configs on generated pairs: 16 pairs per step in two micro-batches of 8.
// tok/cpu-s divides by the process's CPU time instead of wall time, which
// is steadier on a shared machine.
//
//	GOEXPERIMENT=simd go test ./trainer -run '^$' -bench RMTrainStep -benchtime 10x
func BenchmarkRMTrainStep(b *testing.B) {
	for _, tc := range []struct{ name, config string }{
		{"rm-tiny-d64-L2", filepath.Join("..", "testdata", "rm", "tiny-config.json")},
		{"tiny-qwen2-d128-L4", filepath.Join("..", "testdata", "models", "tiny-qwen2", "config.json")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := tinyRMConfig(b, b.TempDir(), propertyPairs(400, 9))
			cfg.Model.InitConfig = tc.config
			cfg.MaxEpochs = 100
			tr := newTinyTrainerB(b, cfg)
			if _, err := tr.Step(context.Background()); err != nil { // compile
				b.Fatal(err)
			}
			tokens := 0.0
			var elapsed time.Duration
			cpu0 := cpuSeconds()
			for b.Loop() {
				start := time.Now()
				m, err := tr.Step(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				tokens += m["perf/tokens"]
			}
			b.ReportMetric(tokens/elapsed.Seconds(), "tok/s")
			b.ReportMetric(tokens/(cpuSeconds()-cpu0), "tok/cpu-s")
			b.ReportMetric(tokens/float64(b.N), "tok/step")
		})
	}
}

// cpuSeconds is the user + system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
