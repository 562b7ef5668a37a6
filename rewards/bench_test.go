package rewards

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// benchWorkload generates n programs with tests asserts each, about 30% of
// them wrong, deterministically (seed 1). Each program is one of a few
// small function shapes with its own constants, so each has its own tests.
func benchWorkload(n, tests int) []Job {
	rng := rand.New(rand.NewPCG(1, 2))
	jobs := make([]Job, n)
	for i := range jobs {
		a, b := rng.IntN(50)+1, rng.IntN(50)+1
		wrong := rng.Float64() < 0.3
		off := 0
		if wrong {
			off = 1
		}
		var prog string
		var want func(x int) string
		switch i % 3 {
		case 0:
			prog = fmt.Sprintf("def f(x):\n    return x * %d + %d\n", a, b+off)
			want = func(x int) string { return fmt.Sprint(x*a + b) }
		case 1:
			prog = fmt.Sprintf("def f(x):\n    return [v %% %d for v in range(x)][-%d:]\n", a, 1+off)
			want = func(x int) string {
				return fmt.Sprintf("[%d]", (x-1)%a)
			}
		default:
			prog = fmt.Sprintf("def f(x):\n    s = str(x * %d)\n    return {'n': len(s), 's': s[::-1]}\n", a+off)
			want = func(x int) string {
				s := fmt.Sprint(x * a)
				r := []byte(s)
				for l, h := 0, len(r)-1; l < h; l, h = l+1, h-1 {
					r[l], r[h] = r[h], r[l]
				}
				return fmt.Sprintf("{'n': %d, 's': '%s'}", len(s), r)
			}
		}
		ts := make([]string, tests)
		for k := range ts {
			x := k + 2
			ts[k] = fmt.Sprintf("assert f(%d) == %s", x, want(x))
		}
		jobs[i] = Job{ID: fmt.Sprint(i), Program: prog, Tests: ts}
	}
	return jobs
}

// BenchmarkExec runs the 500 × 15 workload on 2 workers with full
// isolation (and, for comparison, with isolation off).
func BenchmarkExec(b *testing.B) {
	for _, iso := range []bool{true, false} {
		name := map[bool]string{true: "isolated", false: "no-isolation"}[iso]
		b.Run(name, func(b *testing.B) {
			r := newTestRunner(b, RunnerOptions{Workers: 2, Timeout: 4 * time.Second, NoIsolation: !iso})
			jobs := benchWorkload(500, 15)
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
