package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"acecoder/rewards"
)

// ExecHandler runs exec jobs (a JSON rewards.Job) on r and answers with the
// JSON rewards.Result. Give the worker more Slots than r has workers (2× for
// a worker among many, more for a lone local one) so the pool never waits
// for the queue; Runner.Do holds the extra jobs.
func ExecHandler(r *rewards.Runner) Handler {
	return HandlerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		var job rewards.Job
		if err := json.Unmarshal(payload, &job); err != nil {
			return nil, fmt.Errorf("queue: exec job: %w", err)
		}
		res, err := r.Do(ctx, job)
		if err != nil {
			return nil, fmt.Errorf("queue: exec job %s: %w", job.ID, err)
		}
		out, err := json.Marshal(res)
		if err != nil {
			return nil, fmt.Errorf("queue: exec result %s: %w", job.ID, err)
		}
		return out, nil
	})
}

// Executor runs rewards jobs through the queue with the signatures of
// rewards.Runner (Do, Run, Stream), so callers can switch between the two.
type Executor struct {
	c *Client
	// StreamBatch bounds the jobs Stream gathers into one submission.
	StreamBatch int
}

// NewExecutor sends exec jobs through c.
func NewExecutor(c *Client) *Executor { return &Executor{c: c, StreamBatch: 256} }

// Do runs one job and waits for its result.
func (e *Executor) Do(ctx context.Context, job rewards.Job) (rewards.Result, error) {
	res, err := e.Run(ctx, []rewards.Job{job})
	if err != nil {
		return rewards.Result{ID: job.ID}, err
	}
	return res[0], nil
}

// Run runs jobs and returns results in input order. Like rewards.Runner.Run
// it fails when any job could not be run (a terminal queue error).
func (e *Executor) Run(ctx context.Context, jobs []rewards.Job) ([]rewards.Result, error) {
	payloads, err := encodeJobs(jobs)
	if err != nil {
		return nil, err
	}
	raw, err := e.c.Do(ctx, KindExec, payloads)
	if err != nil {
		return nil, err
	}
	out := make([]rewards.Result, len(jobs))
	var errs []error
	for i, r := range raw {
		if out[i], err = decodeResult(jobs[i].ID, r); err != nil {
			errs = append(errs, fmt.Errorf("queue: job %d (%s): %w", i, jobs[i].ID, err))
		}
	}
	return out, errors.Join(errs...)
}

func encodeJobs(jobs []rewards.Job) ([][]byte, error) {
	payloads := make([][]byte, len(jobs))
	for i, j := range jobs {
		p, err := json.Marshal(j)
		if err != nil {
			return nil, fmt.Errorf("queue: encode job %d (%s): %w", i, j.ID, err)
		}
		payloads[i] = p
	}
	return payloads, nil
}

// decodeResult turns a queue result into a rewards.Result.
func decodeResult(id string, r Result) (rewards.Result, error) {
	if err := r.Error(); err != nil {
		return rewards.Result{ID: id}, err
	}
	var res rewards.Result
	if err := json.Unmarshal(r.Payload, &res); err != nil {
		return rewards.Result{ID: id}, fmt.Errorf("queue: decode exec result: %w", err)
	}
	return res, nil
}

// Stream runs jobs as they arrive on in and sends each result as soon as it
// is ready, with Index the job's position in the input; the channel closes
// once in is closed (or ctx ends) and every accepted job has its result.
// Jobs that arrive together are submitted together (up to StreamBatch).
func (e *Executor) Stream(ctx context.Context, in <-chan rewards.Job) <-chan rewards.StreamResult {
	out := make(chan rewards.StreamResult, e.StreamBatch)
	go func() {
		defer close(out)
		var wg sync.WaitGroup
		defer wg.Wait()
		for next := 0; ; {
			jobs, open := gather(ctx, in, max(e.StreamBatch, 1))
			if len(jobs) > 0 {
				first := next
				wg.Go(func() { e.streamBatch(ctx, first, jobs, out) })
				next += len(jobs)
			}
			if !open {
				return
			}
		}
	}()
	return out
}

// gather blocks for one job, then takes whatever else is ready, up to n.
func gather(ctx context.Context, in <-chan rewards.Job, n int) ([]rewards.Job, bool) {
	var jobs []rewards.Job
	select {
	case j, ok := <-in:
		if !ok {
			return nil, false
		}
		jobs = append(jobs, j)
	case <-ctx.Done():
		return nil, false
	}
	for len(jobs) < n {
		select {
		case j, ok := <-in:
			if !ok {
				return jobs, false
			}
			jobs = append(jobs, j)
		default:
			return jobs, true
		}
	}
	return jobs, true
}

// streamBatch submits one gathered batch and forwards its results.
func (e *Executor) streamBatch(ctx context.Context, first int, jobs []rewards.Job, out chan<- rewards.StreamResult) {
	fail := func(err error) {
		for i, j := range jobs {
			out <- rewards.StreamResult{Index: first + i, Result: rewards.Result{ID: j.ID}, Err: err}
		}
	}
	payloads, err := encodeJobs(jobs)
	if err != nil {
		fail(err)
		return
	}
	b, err := e.c.Submit(ctx, KindExec, payloads)
	if err != nil {
		fail(err)
		return
	}
	defer b.Close()
	done := make([]bool, len(jobs))
	for range jobs {
		i, r, err := b.Next(ctx)
		if err != nil {
			for k, d := range done {
				if !d {
					out <- rewards.StreamResult{Index: first + k, Result: rewards.Result{ID: jobs[k].ID}, Err: err}
				}
			}
			return
		}
		done[i] = true
		res, err := decodeResult(jobs[i].ID, r)
		out <- rewards.StreamResult{Index: first + i, Result: res, Err: err}
	}
}
