package queue

import (
	"context"
	"testing"
	"time"

	"acecoder/rewards"
)

// BenchmarkBrokerOverhead measures what the embedded queue adds per job:
// batches of 1000 jobs through one in-process worker whose handler returns
// at once (file store, the default).
func BenchmarkBrokerOverhead(b *testing.B) {
	for _, mem := range []bool{false, true} {
		name := map[bool]string{false: "file-store", true: "memory-store"}[mem]
		b.Run(name, func(b *testing.B) {
			echo := HandlerFunc(func(_ context.Context, p []byte) ([]byte, error) { return p, nil })
			cfg := testConfig(0)
			cfg.Memory = mem
			ctx := context.Background()
			q, err := Start(ctx, Options{Config: cfg, Local: []WorkerOptions{{Kind: KindExec, Slots: 64, Handler: echo}}})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			in := payloads(1000, "bench")
			jobs := 0
			start := time.Now()
			for b.Loop() {
				if _, err := q.Client.Do(ctx, KindExec, in); err != nil {
					b.Fatal(err)
				}
				jobs += len(in)
			}
			secs := time.Since(start).Seconds()
			b.ReportMetric(secs/float64(jobs)*1e6, "µs/job")
			b.ReportMetric(float64(jobs)/secs, "jobs/s")
			if st := q.WorkerStats()[0]; st.Errors > 0 {
				b.Logf("worker: %d pull/ack errors, last: %s", st.Errors, st.LastError)
			}
		})
	}
}

// BenchmarkExecQueueVsDirect runs the 500 × 15 workload on a 2-worker
// sandboxed runner directly and through the embedded queue (the default of
// `acecoder exec` and train-policy), alternating within each iteration so
// both see the same machine load. ratio = queue programs/s ÷ direct.
func BenchmarkExecQueueVsDirect(b *testing.B) {
	pythonOrSkip(b)
	ctx := context.Background()
	jobs, want := execWorkload(500, 15, 1)
	ropts := rewards.RunnerOptions{Workers: 2, Timeout: 4 * time.Second}
	direct, err := rewards.NewRunner(ctx, ropts)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	x, err := StartExec(ctx, ExecOptions{Runner: ropts})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	for _, run := range []func(context.Context, []rewards.Job) ([]rewards.Result, error){direct.Run, x.Run} {
		if _, err := run(ctx, jobs[:40]); err != nil { // warm both pools
			b.Fatal(err)
		}
	}
	var tDirect, tQueue time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		dres, err := direct.Run(ctx, jobs)
		t1 := time.Now()
		qres, err2 := x.Run(ctx, jobs)
		tDirect, tQueue = tDirect+t1.Sub(t0), tQueue+time.Since(t1)
		if err != nil || err2 != nil {
			b.Fatal(err, err2)
		}
		checkExecResults(b, jobs, want, dres)
		checkExecResults(b, jobs, want, qres)
		n += len(jobs)
	}
	b.ReportMetric(float64(n)/tDirect.Seconds(), "direct-programs/s")
	b.ReportMetric(float64(n)/tQueue.Seconds(), "queue-programs/s")
	b.ReportMetric(tDirect.Seconds()/tQueue.Seconds(), "ratio")
	b.Logf("protections: %v", x.Protections())
}
