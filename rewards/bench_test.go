package rewards

import (
	"context"
	"strings"
	"testing"
	"time"
)

// BenchmarkExec runs the 500 × 15 workload on 2 workers with full
// isolation (and, for comparison, with isolation off).
func BenchmarkExec(b *testing.B) {
	for _, iso := range []bool{true, false} {
		name := map[bool]string{true: "isolated", false: "no-isolation"}[iso]
		b.Run(name, func(b *testing.B) {
			r := newTestRunner(b, RunnerOptions{Workers: 2, Timeout: 4 * time.Second, NoIsolation: !iso})
			jobs := BenchWorkload(500, 15, 1)
			ctx := context.Background()
			if _, err := r.Run(ctx, jobs[:20]); err != nil { // warm the analyzer and workers
				b.Fatal(err)
			}
			var passed, total int
			cpu0 := r.CPUUsage()
			start := time.Now()
			for b.Loop() {
				res, err := r.Run(ctx, jobs)
				if err != nil {
					b.Fatal(err)
				}
				for _, x := range res {
					passed += x.Passed
					total += x.Total
				}
			}
			secs := time.Since(start).Seconds()
			cpu1 := r.CPUUsage()
			progs := float64(b.N * len(jobs))
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / progs }
			b.ReportMetric(ms(cpu1.Workers-cpu0.Workers), "worker-cpu-ms/program")
			b.ReportMetric(ms(cpu1.Analyzer-cpu0.Analyzer), "analyzer-cpu-ms/program")
			b.ReportMetric(ms(cpu1.Self-cpu0.Self), "go-cpu-ms/program")
			b.ReportMetric(float64(b.N*len(jobs))/secs, "programs/s")
			b.ReportMetric(float64(b.N*len(jobs)*15)/secs, "tests/s")
			b.ReportMetric(float64(passed)/float64(total), "pass-rate")
			b.Logf("protections: %s", strings.Join(r.Protections(), ","))
		})
	}
}
