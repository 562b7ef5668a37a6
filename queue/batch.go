package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
)

// Batch collects the results of the jobs of one Submit call.
type Batch struct {
	c       *Client
	ids     []string
	results []Result // results[i] is written before i is sent on done
	done    chan int
	got     int
}

// IDs returns the job IDs, in payload order.
func (b *Batch) IDs() []string { return b.ids }

// Len is the number of jobs in the batch.
func (b *Batch) Len() int { return len(b.ids) }

// Next blocks until another job of the batch has its result and returns
// the job's index and result, in completion order; io.EOF once all are in.
func (b *Batch) Next(ctx context.Context) (int, Result, error) {
	if b.got == len(b.ids) {
		return 0, Result{}, io.EOF
	}
	select {
	case i := <-b.done:
		b.got++
		return i, b.results[i], nil
	case <-ctx.Done():
		return 0, Result{}, fmt.Errorf("queue: waiting for %d of %d results: %w", len(b.ids)-b.got, len(b.ids), ctx.Err())
	}
}

// Wait blocks until every job has its result and returns them in payload
// order. A job that failed terminally has Result.Err set; Wait itself fails
// only when ctx ends.
func (b *Batch) Wait(ctx context.Context) ([]Result, error) {
	for {
		if _, _, err := b.Next(ctx); err == io.EOF {
			return b.results, nil
		} else if err != nil {
			return nil, err
		}
	}
}

// Close stops waiting for the batch and withdraws jobs not yet finished.
func (b *Batch) Close() {
	c := b.c
	var left []seqKey
	c.mu.Lock()
	for _, id := range b.ids {
		if s := c.pending[id]; s != nil && s.batch == b {
			delete(c.pending, id)
			if s.seq != 0 {
				delete(c.bySeq, seqKey{s.kind, s.seq})
				left = append(left, seqKey{s.kind, s.seq})
			}
		}
	}
	c.mu.Unlock()
	if len(left) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, k := range left {
		c.withdraw(ctx, k)
	}
}

// ensureKind sets up kind's streams once per client and listens for the
// server's max-deliveries advisories on its consumer.
func (c *Client) ensureKind(ctx context.Context, kind string) error {
	c.mu.Lock()
	_, ok := c.kinds[kind]
	c.mu.Unlock()
	if ok {
		return nil
	}
	// Streams of concurrent first submissions wait here for one set-up
	// instead of each rewriting the stream and consumer (and their
	// metadata files) on the server.
	c.kindMu.Lock()
	defer c.kindMu.Unlock()
	c.mu.Lock()
	_, ok = c.kinds[kind]
	c.mu.Unlock()
	if ok {
		return nil
	}
	if _, err := ensureKind(ctx, c.js, kind, c.opts.Config, true); err != nil {
		return err
	}
	subject := advisorySubject(kind)
	sub, err := c.nc.Subscribe(subject, func(m *nats.Msg) { c.onMaxDeliveries(kind, m.Data) })
	if err != nil {
		return fmt.Errorf("queue: subscribe %s: %w", subject, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.kinds[kind]; ok {
		return sub.Unsubscribe()
	}
	c.kinds[kind] = sub
	return nil
}

func advisorySubject(kind string) string {
	return "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + jobStream(kind) + "." + workerDurable(kind)
}

// maxDeliveries is the part of the server's advisory the client needs.
type maxDeliveries struct {
	Stream     string `json:"stream"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// parseMaxDeliveries decodes a max-deliveries advisory for kind.
func parseMaxDeliveries(kind string, data []byte) (maxDeliveries, error) {
	var a maxDeliveries
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("queue: advisory: %w", err)
	}
	if a.Stream != jobStream(kind) || a.StreamSeq == 0 {
		return a, fmt.Errorf("queue: advisory for stream %q seq %d: not a %s job", a.Stream, a.StreamSeq, kind)
	}
	return a, nil
}

// onMaxDeliveries turns a job the workers never finished (each delivery
// timed out, e.g. it crashed its worker every time) into a terminal error
// result and removes it from the queue.
func (c *Client) onMaxDeliveries(kind string, data []byte) {
	a, err := parseMaxDeliveries(kind, data)
	if err != nil {
		return
	}
	k := seqKey{kind, a.StreamSeq}
	c.mu.Lock()
	id, ok := c.bySeq[k]
	c.mu.Unlock()
	if !ok {
		return
	}
	c.deliver(Result{JobID: id, Attempt: int(a.Deliveries), Err: fmt.Sprintf("no result after %d deliveries (worker lost or timed out)", a.Deliveries)})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.withdraw(ctx, k)
	}()
}
