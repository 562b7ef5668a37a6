package queue

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// clientCounters are updated under Client.mu.
type clientCounters struct {
	start                                             time.Time
	submitted, completed, failed, retried, duplicates uint64
	workers                                           map[string]uint64

	lastAt        time.Time
	lastCompleted uint64
	lastWorkers   map[string]uint64
}

func (s *clientCounters) record(r Result) {
	s.completed++
	if r.Err != "" {
		s.failed++
	}
	if r.Attempt > 1 {
		s.retried++
	}
	if s.workers == nil {
		s.workers = map[string]uint64{}
	}
	s.workers[r.Worker]++
}

// KindDepth is the server's view of one job kind's queue.
type KindDepth struct {
	Kind        string
	Depth       uint64 // jobs stored: not yet delivered plus running
	Pending     uint64 // jobs not yet delivered to any worker
	InFlight    int    // jobs delivered and not yet acked
	Redelivered int    // jobs in flight on a second or later delivery
	IdlePulls   int    // outstanding pull requests (idle worker capacity)
}

// WorkerRate is one worker's share of this client's results.
type WorkerRate struct {
	Jobs       uint64  // results since the client started
	JobsPerSec float64 // since the previous Metrics call
}

// Metrics is a snapshot the trainer logs once per step.
type Metrics struct {
	Kinds      []KindDepth
	Submitted  uint64  // jobs published by this client
	Completed  uint64  // results received (including terminal errors)
	Failed     uint64  // terminal error results
	Retried    uint64  // results that needed more than one delivery
	Duplicates uint64  // extra results dropped (job ran twice, or after Close)
	JobsPerSec float64 // results per second since the previous Metrics call
	Workers    map[string]WorkerRate
}

// Metrics reads the queue state from the server and the client's counters.
// Rates cover the time since the previous call (or since NewClient).
func (c *Client) Metrics(ctx context.Context) (Metrics, error) {
	c.mu.Lock()
	kinds := make([]string, 0, len(c.kinds))
	for k := range c.kinds {
		kinds = append(kinds, k)
	}
	m := c.snapshot(time.Now())
	c.mu.Unlock()
	sort.Strings(kinds)
	for _, k := range kinds {
		d, err := c.depth(ctx, k)
		if err != nil {
			return m, err
		}
		m.Kinds = append(m.Kinds, d)
	}
	return m, nil
}

// snapshot copies the counters and advances the rate window; mu is held.
func (c *Client) snapshot(now time.Time) Metrics {
	s := &c.stats
	if s.lastAt.IsZero() {
		s.lastAt = s.start
	}
	dt := now.Sub(s.lastAt).Seconds()
	m := Metrics{
		Submitted: s.submitted, Completed: s.completed, Failed: s.failed,
		Retried: s.retried, Duplicates: s.duplicates, Workers: map[string]WorkerRate{},
	}
	m.JobsPerSec = rate(s.completed-s.lastCompleted, dt)
	for w, n := range s.workers {
		m.Workers[w] = WorkerRate{Jobs: n, JobsPerSec: rate(n-s.lastWorkers[w], dt)}
	}
	s.lastAt, s.lastCompleted = now, s.completed
	s.lastWorkers = make(map[string]uint64, len(s.workers))
	for w, n := range s.workers {
		s.lastWorkers[w] = n
	}
	return m
}

// rate is n/dt, 0 for an empty window.
func rate(n uint64, dt float64) float64 {
	if dt <= 0 {
		return 0
	}
	return float64(n) / dt
}

func (c *Client) depth(ctx context.Context, kind string) (KindDepth, error) {
	d := KindDepth{Kind: kind}
	st, err := c.js.Stream(ctx, jobStream(kind))
	if err != nil {
		return d, fmt.Errorf("queue: metrics %s: %w", kind, err)
	}
	si, err := st.Info(ctx)
	if err != nil {
		return d, fmt.Errorf("queue: metrics %s: %w", kind, err)
	}
	d.Depth = si.State.Msgs
	cons, err := st.Consumer(ctx, workerDurable(kind))
	if err != nil {
		return d, fmt.Errorf("queue: metrics %s: %w", kind, err)
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		return d, fmt.Errorf("queue: metrics %s: %w", kind, err)
	}
	d.Pending, d.InFlight, d.Redelivered, d.IdlePulls = ci.NumPending, ci.NumAckPending, ci.NumRedelivered, ci.NumWaiting
	return d, nil
}

// Values flattens m into the trainer's metrics log, under "queue/".
// Worker names become keys "queue/worker/<name>/jobs_per_s".
func (m Metrics) Values() map[string]float64 {
	v := map[string]float64{
		"queue/submitted":  float64(m.Submitted),
		"queue/completed":  float64(m.Completed),
		"queue/failed":     float64(m.Failed),
		"queue/retried":    float64(m.Retried),
		"queue/duplicates": float64(m.Duplicates),
		"queue/jobs_per_s": m.JobsPerSec,
		"queue/workers":    float64(len(m.Workers)),
	}
	for _, k := range m.Kinds {
		p := "queue/" + k.Kind + "/"
		v[p+"depth"] = float64(k.Depth)
		v[p+"pending"] = float64(k.Pending)
		v[p+"in_flight"] = float64(k.InFlight)
		v[p+"redelivered"] = float64(k.Redelivered)
		v[p+"idle_pulls"] = float64(k.IdlePulls)
	}
	for w, r := range m.Workers {
		v["queue/worker/"+w+"/jobs_per_s"] = r.JobsPerSec
	}
	return v
}
