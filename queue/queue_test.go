package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func payloads(n int, prefix string) [][]byte {
	p := make([][]byte, n)
	for i := range p {
		p[i] = fmt.Appendf(nil, "%s-%d", prefix, i)
	}
	return p
}

func startLocal(t *testing.T, cfg KindConfig, workers ...WorkerOptions) *Queue {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := Start(ctx, Options{Config: cfg, Local: workers})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := q.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return q
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		memory  bool
		workers int
		slots   int
		jobs    int
	}{
		{name: "file store, one worker", workers: 1, slots: 1, jobs: 50},
		{name: "file store, three workers", workers: 3, slots: 4, jobs: 1000},
		{name: "memory store", memory: true, workers: 2, slots: 2, jobs: 300},
		{name: "empty batch", workers: 1, slots: 1, jobs: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := make([]WorkerOptions, tc.workers)
			for i := range ws {
				ws[i] = WorkerOptions{Kind: KindExec, Slots: tc.slots, Name: fmt.Sprintf("w%d", i), Handler: digestHandler(0)}
			}
			cfg := testConfig(0)
			cfg.Memory = tc.memory
			q := startLocal(t, cfg, ws...)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			in := payloads(tc.jobs, tc.name)
			res, err := q.Client.Do(ctx, KindExec, in)
			if err != nil {
				t.Fatal(err)
			}
			checkDigests(t, in, res)
			m := waitDrained(t, q.Client)
			if m.Completed != uint64(tc.jobs) || m.Submitted != uint64(tc.jobs) || m.Duplicates != 0 {
				t.Errorf("metrics: submitted %d completed %d duplicates %d, want %d, %d, 0", m.Submitted, m.Completed, m.Duplicates, tc.jobs, tc.jobs)
			}
		})
	}
}

// waitDrained polls until the server has seen every ack (a worker acks
// after storing the result, so the client may see the result first).
func waitDrained(t *testing.T, c *Client) Metrics {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		m, err := c.Metrics(ctx)
		if err != nil {
			t.Fatalf("queue not drained: %v", err)
		}
		if len(m.Kinds) > 0 && m.Kinds[0].Depth == 0 && m.Kinds[0].InFlight == 0 {
			return m
		}
		select {
		case <-ctx.Done():
			t.Fatalf("queue not drained: %+v", m.Kinds)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// checkDigests checks that res holds exactly the digest of each payload.
func checkDigests(t *testing.T, in [][]byte, res []Result) {
	t.Helper()
	if len(res) != len(in) {
		t.Fatalf("%d results for %d jobs", len(res), len(in))
	}
	seen := map[string]bool{}
	for i, r := range res {
		if r.Err != "" || string(r.Payload) != digest(in[i]) {
			t.Fatalf("job %d (%s): got %q err %q, want %s", i, in[i], r.Payload, r.Err, digest(in[i]))
		}
		if seen[r.JobID] {
			t.Fatalf("job ID %s twice", r.JobID)
		}
		seen[r.JobID] = true
	}
}

func TestBatchNextCompletionOrder(t *testing.T) {
	q := startLocal(t, testConfig(0), WorkerOptions{Kind: KindExec, Slots: 4, Handler: digestHandler(0)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := payloads(40, "next")
	b, err := q.Client.Submit(ctx, KindExec, in)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := map[int]bool{}
	for {
		i, r, err := b.Next(ctx)
		if err != nil {
			if len(got) != len(in) {
				t.Fatalf("stopped after %d of %d: %v", len(got), len(in), err)
			}
			break
		}
		if got[i] || string(r.Payload) != digest(in[i]) || r.JobID != b.IDs()[i] {
			t.Fatalf("index %d: repeated=%v payload %q id %s", i, got[i], r.Payload, r.JobID)
		}
		got[i] = true
	}
}

// countingHandler counts executions per payload.
type countingHandler struct {
	mu    sync.Mutex
	runs  map[string]int
	inner Handler
}

func (h *countingHandler) Handle(ctx context.Context, p []byte) ([]byte, error) {
	h.mu.Lock()
	if h.runs == nil {
		h.runs = map[string]int{}
	}
	h.runs[string(p)]++
	h.mu.Unlock()
	return h.inner.Handle(ctx, p)
}

func (h *countingHandler) count(p string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.runs[string(p)]
}

// A job that outlives AckWait without heartbeats runs on a second worker;
// the two results must collapse into one. With heartbeats it runs once.
func TestSlowJobRedeliveryYieldsOneResult(t *testing.T) {
	tests := []struct {
		name      string
		heartbeat time.Duration
		wantTwice bool
	}{
		{name: "no heartbeat: executed twice", heartbeat: -1, wantTwice: true},
		{name: "heartbeats: executed once", heartbeat: 100 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &countingHandler{inner: digestHandler(1200 * time.Millisecond)}
			cfg := KindConfig{AckWait: 400 * time.Millisecond, MaxDeliver: 5}
			w := WorkerOptions{Kind: KindExec, Slots: 1, Handler: h, Heartbeat: tc.heartbeat}
			w1, w2 := w, w
			w1.Name, w2.Name = "a", "b"
			q := startLocal(t, cfg, w1, w2)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			in := payloads(1, "slow")
			res, err := q.Client.Do(ctx, KindExec, in)
			if err != nil {
				t.Fatal(err)
			}
			checkDigests(t, in, res)
			// Let the second execution finish and publish its result.
			time.Sleep(1500 * time.Millisecond)
			runs := h.count(string(in[0]))
			st := q.WorkerStats()
			dups := st[0].Duplicates + st[1].Duplicates
			m, _ := q.Client.Metrics(ctx)
			if tc.wantTwice && (runs < 2 || dups == 0) {
				t.Errorf("runs %d, server-side duplicates %d: want a second execution deduplicated", runs, dups)
			}
			if !tc.wantTwice && (runs != 1 || dups != 0) {
				t.Errorf("runs %d, duplicates %d: want exactly one execution", runs, dups)
			}
			if m.Completed != 1 || m.Duplicates != 0 {
				t.Errorf("client saw completed %d duplicates %d, want 1, 0", m.Completed, m.Duplicates)
			}
		})
	}
}

func TestHandlerErrorsRetriedThenTerminal(t *testing.T) {
	var bad atomic.Int64
	h := HandlerFunc(func(ctx context.Context, p []byte) ([]byte, error) {
		if string(p) == "bad" {
			bad.Add(1)
			return nil, errors.New("python did not start")
		}
		return []byte(digest(p)), nil
	})
	cfg := KindConfig{AckWait: 2 * time.Second, MaxDeliver: 3}
	q := startLocal(t, cfg, WorkerOptions{Kind: KindExec, Slots: 2, Handler: h, RetryDelay: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := q.Client.Do(ctx, KindExec, [][]byte{[]byte("good"), []byte("bad")})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != "" || string(res[0].Payload) != digest([]byte("good")) {
		t.Errorf("good job: %+v", res[0])
	}
	if res[1].Error() == nil || res[1].Attempt != 3 || bad.Load() != 3 {
		t.Errorf("bad job: %+v after %d runs, want a terminal error on attempt 3", res[1], bad.Load())
	}
	if st := q.WorkerStats()[0]; st.Retries != 2 || st.Failures != 1 {
		t.Errorf("worker stats %+v, want 2 retries and 1 failure", st)
	}
}

// A job whose every delivery times out (say it kills its worker) gets a
// terminal result from the server's max-deliveries advisory.
func TestMaxDeliveriesAdvisoryGivesTerminalResult(t *testing.T) {
	hang := HandlerFunc(func(ctx context.Context, p []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	cfg := KindConfig{AckWait: 200 * time.Millisecond, MaxDeliver: 2}
	q := startLocal(t, cfg, WorkerOptions{Kind: KindExec, Slots: 4, Handler: hang, Heartbeat: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := q.Client.Do(ctx, KindExec, [][]byte{[]byte("hangs")})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Error() == nil || res[0].Attempt != 2 || res[0].Worker != "" {
		t.Errorf("got %+v, want a terminal error after 2 deliveries", res[0])
	}
	if m := waitDrained(t, q.Client); m.Failed != 1 {
		t.Errorf("failed %d, want 1", m.Failed)
	}
}

func TestBatchCloseWithdrawsJobs(t *testing.T) {
	q := startLocal(t, testConfig(0)) // no workers: jobs stay queued
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := q.Client.Submit(ctx, KindExec, payloads(25, "withdraw"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := q.Client.Metrics(ctx)
	if err != nil || m.Kinds[0].Depth != 25 {
		t.Fatalf("depth before close: %+v %v, want 25", m.Kinds, err)
	}
	b.Close()
	m, err = q.Client.Metrics(ctx)
	if err != nil || m.Kinds[0].Depth != 0 {
		t.Fatalf("depth after close: %+v %v, want 0", m.Kinds, err)
	}
	short, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if _, _, err := b.Next(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next on a closed batch: %v, want deadline", err)
	}
}

func TestValidateKind(t *testing.T) {
	tests := []struct {
		name, kind string
		ok         bool
	}{
		{"exec", KindExec, true},
		{"dashed", "other-kind", true},
		{"empty", "", false},
		{"dot", "a.b", false},
		{"wildcard", "a*", false},
		{"upper", "Exec", false},
		{"leading dash", "-x", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidateKind(tc.kind); (err == nil) != tc.ok {
				t.Errorf("ValidateKind(%q) = %v, want ok=%v", tc.kind, err, tc.ok)
			}
		})
	}
}
