package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Result is the one result of a job.
type Result struct {
	JobID   string
	Payload []byte // the handler's output; nil when Err is set
	Err     string // terminal failure after MaxDeliver attempts; "" on success
	Worker  string // the worker that stored the result ("" for advisories)
	Attempt int    // delivery that produced it (1 = first)
}

// Error returns the terminal failure as an error, or nil.
func (r Result) Error() error {
	if r.Err == "" {
		return nil
	}
	return fmt.Errorf("queue: job %s: %s", r.JobID, r.Err)
}

// ClientOptions configures a Client.
type ClientOptions struct {
	Config       KindConfig // must match the workers' (see KindConfig)
	PublishBatch int        // jobs published before waiting for their acks; 0 means 512
}

// slot is a submitted job waiting for its result.
type slot struct {
	batch *Batch
	index int
	kind  string
	seq   uint64 // stream sequence of the job, for advisories and cleanup
}

// Client publishes jobs and collects their results (trainer side). It is
// safe for concurrent use.
type Client struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	opts    ClientOptions
	id      string
	subject string
	seq     uint64
	cons    jetstream.ConsumeContext

	kindMu  sync.Mutex // one stream/consumer set-up at a time (concurrent first Submits)
	mu      sync.Mutex
	pending map[string]*slot
	bySeq   map[seqKey]string
	kinds   map[string]*nats.Subscription
	stats   clientCounters
}

type seqKey struct {
	kind string
	seq  uint64
}

// NewClient starts collecting results on nc under a fresh client ID.
func NewClient(ctx context.Context, nc *nats.Conn, o ClientOptions) (*Client, error) {
	o.Config = o.Config.withDefaults()
	if o.PublishBatch <= 0 {
		o.PublishBatch = 512
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("queue: client: %w", err)
	}
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	c := &Client{
		nc: nc, js: js, opts: o, id: id, subject: resultsSubject + "." + id,
		pending: map[string]*slot{}, bySeq: map[seqKey]string{}, kinds: map[string]*nats.Subscription{},
	}
	c.stats.start = time.Now()
	if err := ensureResults(ctx, js, o.Config); err != nil {
		return nil, err
	}
	oc, err := js.OrderedConsumer(ctx, resultsStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{c.subject}})
	if err != nil {
		return nil, fmt.Errorf("queue: client: results consumer: %w", err)
	}
	c.cons, err = oc.Consume(func(m jetstream.Msg) { c.deliver(parseResult(m.Headers(), m.Data())) })
	if err != nil {
		return nil, fmt.Errorf("queue: client: consume results: %w", err)
	}
	return c, nil
}

func randomID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("queue: client id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// parseResult reads a result message.
func parseResult(h nats.Header, data []byte) Result {
	r := Result{JobID: h.Get(headerJobID), Worker: h.Get(headerWorker), Err: h.Get(headerError)}
	r.Attempt, _ = strconv.Atoi(h.Get(headerAttempt))
	if r.Err == "" {
		r.Payload = data
	}
	return r
}

// deliver hands r to its batch; a second result for a job is dropped.
func (c *Client) deliver(r Result) {
	c.mu.Lock()
	s := c.pending[r.JobID]
	if s == nil {
		c.stats.duplicates++
		c.mu.Unlock()
		return
	}
	delete(c.pending, r.JobID)
	delete(c.bySeq, seqKey{s.kind, s.seq})
	c.stats.record(r)
	c.mu.Unlock()
	s.batch.results[s.index] = r
	s.batch.done <- s.index
}

// Submit publishes one job per payload and returns the batch that collects
// their results.
func (c *Client) Submit(ctx context.Context, kind string, payloads [][]byte) (*Batch, error) {
	if err := c.ensureKind(ctx, kind); err != nil {
		return nil, err
	}
	b := &Batch{c: c, ids: make([]string, len(payloads)), results: make([]Result, len(payloads)), done: make(chan int, len(payloads))}
	slots := make([]*slot, len(payloads))
	c.mu.Lock()
	for i := range payloads {
		c.seq++
		b.ids[i] = c.id + "-" + strconv.FormatUint(c.seq, 10)
		slots[i] = &slot{batch: b, index: i, kind: kind}
		c.pending[b.ids[i]] = slots[i]
	}
	c.stats.submitted += uint64(len(payloads))
	c.mu.Unlock()
	for lo := 0; lo < len(payloads); lo += c.opts.PublishBatch {
		hi := min(lo+c.opts.PublishBatch, len(payloads))
		if err := c.publish(ctx, kind, payloads[lo:hi], b.ids[lo:hi], slots[lo:hi]); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

// publish sends a chunk of jobs and waits until the server stored them all.
func (c *Client) publish(ctx context.Context, kind string, payloads [][]byte, ids []string, slots []*slot) error {
	futures := make([]jetstream.PubAckFuture, len(payloads))
	for i, p := range payloads {
		m := nats.NewMsg(jobSubject(kind))
		m.Header.Set(headerResultSubject, c.subject)
		m.Data = p
		f, err := c.js.PublishMsgAsync(m, jetstream.WithMsgID(ids[i]))
		if err != nil {
			return fmt.Errorf("queue: publish %s job: %w", kind, err)
		}
		futures[i] = f
	}
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			c.mu.Lock()
			slots[i].seq = ack.Sequence
			if c.pending[ids[i]] == slots[i] {
				c.bySeq[seqKey{kind, ack.Sequence}] = ids[i]
			}
			c.mu.Unlock()
		case err := <-f.Err():
			return fmt.Errorf("queue: publish %s job %s: %w", kind, ids[i], err)
		case <-ctx.Done():
			return fmt.Errorf("queue: publish %s jobs: %w", kind, ctx.Err())
		}
	}
	return nil
}

// Do submits the payloads and waits for all their results, in input order.
func (c *Client) Do(ctx context.Context, kind string, payloads [][]byte) ([]Result, error) {
	b, err := c.Submit(ctx, kind, payloads)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return b.Wait(ctx)
}

// Close stops collecting results, withdraws jobs still waiting and removes
// this client's stored results.
func (c *Client) Close() error {
	c.cons.Stop()
	c.mu.Lock()
	subs, left := c.kinds, c.bySeq
	c.kinds, c.bySeq, c.pending = map[string]*nats.Subscription{}, map[seqKey]string{}, map[string]*slot{}
	c.mu.Unlock()
	var errs []error
	for _, sub := range subs {
		errs = append(errs, sub.Unsubscribe())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for k := range left {
		c.withdraw(ctx, k)
	}
	if s, err := c.js.Stream(ctx, resultsStream); err == nil {
		errs = append(errs, s.Purge(ctx, jetstream.WithPurgeSubject(c.subject)))
	}
	if err := errors.Join(errs...); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("queue: client close: %w", err)
	}
	return nil
}

// withdraw deletes a job nobody waits for any more (best effort: it may be
// running or done already).
func (c *Client) withdraw(ctx context.Context, k seqKey) {
	if s, err := c.js.Stream(ctx, jobStream(k.kind)); err == nil {
		_ = s.DeleteMsg(ctx, k.seq)
	}
}
