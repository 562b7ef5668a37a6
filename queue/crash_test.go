package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"acecoder/rewards"
)

// crashCase pushes jobs through worker processes on url, SIGKILLs one of
// them midway and checks that every job has exactly one stored result.
type crashCase struct {
	url     string
	jobs    int
	workers int
	slots   int
	sleep   time.Duration // per digest job, so the killed worker holds jobs in flight
	ackWait time.Duration
	runners int // > 0: exec jobs on a sandboxed runner with this many workers per process
}

// crashJobs returns the payloads and a check of one result payload.
func crashJobs(t *testing.T, cc crashCase) ([][]byte, func(i int, p []byte) error) {
	if cc.runners == 0 {
		in := payloads(cc.jobs, "crash")
		return in, func(i int, p []byte) error {
			if string(p) != digest(in[i]) {
				return fmt.Errorf("digest %q", p)
			}
			return nil
		}
	}
	jobs, want := execWorkload(cc.jobs, 5, 11)
	in, err := encodeJobs(jobs)
	if err != nil {
		t.Fatal(err)
	}
	return in, func(i int, p []byte) error {
		var r rewards.Result
		if err := json.Unmarshal(p, &r); err != nil {
			return err
		}
		if r.ID != jobs[i].ID || r.Passed != want[i] || r.Total != len(jobs[i].Tests) {
			return fmt.Errorf("result %s passed %d/%d %v, want %s %d", r.ID, r.Passed, r.Total, r.Tests, jobs[i].ID, want[i])
		}
		return nil
	}
}

func runCrashCase(t *testing.T, cc crashCase) {
	procs := make([]*workerProc, cc.workers)
	for i := range procs {
		procs[i] = startWorkerProc(t, cc.url, fmt.Sprintf("proc%d", i), cc.slots, cc.runners, cc.sleep, cc.ackWait)
	}
	nc, err := Connect(ConnOptions{URL: cc.url, Name: "crash-test-client"})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := NewClient(ctx, nc, ClientOptions{Config: testConfig(cc.ackWait)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in, check := crashJobs(t, cc)
	start := time.Now()
	b, err := c.Submit(ctx, KindExec, in)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	seen := make([]int, cc.jobs)
	for n := 0; n < cc.jobs; n++ {
		if n == cc.jobs/3 {
			if err := procs[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			t.Logf("SIGKILLed %s after %d results", procs[0].name, n)
		}
		i, r, err := b.Next(ctx)
		if err != nil {
			t.Fatalf("after %d results: %v", n, err)
		}
		seen[i]++
		if r.Err != "" {
			t.Fatalf("job %d: %s", i, r.Err)
		}
		if err := check(i, r.Payload); err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	elapsed := time.Since(start)
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("job %d: %d results", i, n)
		}
	}
	m := waitDrained(t, c)
	stored := storedResults(t, ctx, c)
	if stored != uint64(cc.jobs) {
		t.Errorf("results stream holds %d results for %d jobs", stored, cc.jobs)
	}
	t.Logf("%d jobs in %v (%.0f jobs/s); retried %d, duplicates dropped by the client %d, workers %v",
		cc.jobs, elapsed.Round(time.Millisecond), float64(cc.jobs)/elapsed.Seconds(), m.Retried, m.Duplicates, m.Workers)
	if m.Completed != uint64(cc.jobs) {
		t.Errorf("client counted %d results, want %d", m.Completed, cc.jobs)
	}
}

// storedResults counts the messages on the client's results subject: the
// stream's duplicate window must have kept one per job.
func storedResults(t *testing.T, ctx context.Context, c *Client) uint64 {
	t.Helper()
	s, err := c.js.Stream(ctx, resultsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(c.subject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[c.subject]
}

// crashCases: real exec jobs through the sandboxed runner when Python is
// there, and cheap digest jobs (1 ms each) that stress the queue alone.
func crashCases(t *testing.T) []struct {
	name string
	cc   crashCase
} {
	cases := []struct {
		name string
		cc   crashCase
	}{
		{"digest", crashCase{jobs: 10000, workers: 4, slots: 4, sleep: time.Millisecond, ackWait: 2 * time.Second}},
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		cases = append(cases, struct {
			name string
			cc   crashCase
		}{"exec", crashCase{jobs: 10000, workers: 3, slots: 2, runners: 1, ackWait: 3 * time.Second}})
	} else {
		t.Log("no /usr/bin/python3: exec jobs not run")
	}
	return cases
}

func TestWorkerSIGKILLEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes and runs 10,000 jobs per case; skipped with -short")
	}
	for _, tc := range crashCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := StartServer(ServerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			tc.cc.url = srv.URL()
			runCrashCase(t, tc.cc)
		})
	}
}
