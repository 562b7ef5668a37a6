package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"
)

// Handler runs one job: payload in, result payload out. An error is retried
// on another delivery until MaxDeliver, then reported as the job's result.
type Handler interface {
	Handle(ctx context.Context, payload []byte) ([]byte, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// WorkerOptions configures a Worker.
type WorkerOptions struct {
	Kind    string
	Slots   int    // jobs run concurrently; 0 means 1
	Name    string // reported with each result; "" means host:pid
	Handler Handler
	Config  KindConfig
	// Heartbeat is the in-progress interval while a job runs; 0 means
	// AckWait/3, negative disables heartbeats.
	Heartbeat time.Duration
	// RetryDelay is how long a failed job waits before its next delivery.
	RetryDelay time.Duration
}

// WorkerStats counts what a worker did.
type WorkerStats struct {
	Jobs       uint64 // results stored (including terminal errors)
	Retries    uint64 // failed attempts handed back for redelivery
	Failures   uint64 // terminal error results
	Duplicates uint64 // results the server already had (job ran twice)
	Errors     uint64 // acks or results lost to connection trouble (the server redelivers)
}

// Worker pulls jobs of one kind and runs them with a Handler.
type Worker struct {
	opts                                WorkerOptions
	js                                  jetstream.JetStream
	cons                                jetstream.Consumer
	jobs, retries, failures, dups, errs atomic.Uint64
}

// NewWorker sets up the kind's streams and consumer on nc.
func NewWorker(ctx context.Context, nc *nats.Conn, o WorkerOptions) (*Worker, error) {
	if o.Handler == nil {
		return nil, errors.New("queue: worker: nil handler")
	}
	if o.Slots <= 0 {
		o.Slots = 1
	}
	if o.Name == "" {
		host, _ := os.Hostname()
		o.Name = host + ":" + strconv.Itoa(os.Getpid())
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("queue: worker: %w", err)
	}
	cons, err := ensureKind(ctx, js, o.Kind, o.Config, false)
	if err != nil {
		return nil, err
	}
	// The consumer as it exists rules (the trainer may have set it up).
	cc := cons.CachedInfo().Config
	o.Config = o.Config.withDefaults()
	o.Config.AckWait, o.Config.MaxDeliver = cc.AckWait, cc.MaxDeliver
	if o.Heartbeat == 0 {
		o.Heartbeat = o.Config.AckWait / 3
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 100 * time.Millisecond
	}
	return &Worker{opts: o, js: js, cons: cons}, nil
}

// Stats returns the worker's counters so far.
func (w *Worker) Stats() WorkerStats {
	return WorkerStats{Jobs: w.jobs.Load(), Retries: w.retries.Load(), Failures: w.failures.Load(), Duplicates: w.dups.Load(), Errors: w.errs.Load()}
}

// Run pulls and runs jobs until ctx ends. Jobs running at that point are
// handed back for redelivery.
func (w *Worker) Run(ctx context.Context) error {
	it, err := w.cons.Messages(jetstream.PullMaxMessages(w.opts.Slots))
	if err != nil {
		return fmt.Errorf("queue: worker %s: pull: %w", w.opts.Name, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	sem := make(chan struct{}, w.opts.Slots)
	g := new(errgroup.Group)
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return g.Wait()
		}
		msg, err := it.Next()
		if err != nil {
			<-sem
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
				return g.Wait()
			}
			_ = g.Wait()
			return fmt.Errorf("queue: worker %s: next: %w", w.opts.Name, err)
		}
		g.Go(func() error {
			defer func() { <-sem }()
			if err := w.handle(ctx, msg); err != nil {
				w.errs.Add(1)
			}
			return nil
		})
	}
}

// handle runs one job; an error means an ack or the result did not reach
// the server, and the job will be redelivered.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) error {
	meta, err := msg.Metadata()
	if err != nil {
		return fmt.Errorf("queue: worker %s: metadata: %w", w.opts.Name, err)
	}
	h := msg.Headers()
	jobID, subject := h.Get(jetstream.MsgIDHeader), h.Get(headerResultSubject)
	if jobID == "" || subject == "" {
		// Not one of ours: nothing to answer, never worth redelivering.
		return ignoreClosed(msg.Term())
	}
	out, runErr := w.run(ctx, msg)
	if runErr != nil && ctx.Err() != nil {
		return ignoreClosed(msg.Nak())
	}
	last := meta.NumDelivered >= uint64(w.opts.Config.MaxDeliver)
	if runErr != nil && !last {
		w.retries.Add(1)
		return ignoreClosed(msg.NakWithDelay(w.opts.RetryDelay))
	}
	res := nats.NewMsg(subject)
	res.Header.Set(headerJobID, jobID)
	res.Header.Set(headerWorker, w.opts.Name)
	res.Header.Set(headerAttempt, strconv.FormatUint(meta.NumDelivered, 10))
	if runErr != nil {
		w.failures.Add(1)
		res.Header.Set(headerError, truncate(runErr.Error(), 4096))
	} else {
		res.Data = out
	}
	// A finished job's result is worth storing even while shutting down.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	ack, err := w.js.PublishMsg(pctx, res, jetstream.WithMsgID(jobID))
	if err != nil {
		// The result is not stored: leave the job unacked so it is redelivered.
		return ignoreClosed(msg.Nak())
	}
	w.jobs.Add(1)
	if ack.Duplicate {
		w.dups.Add(1)
	}
	return ignoreClosed(msg.Ack())
}

// run calls the handler while sending in-progress heartbeats.
func (w *Worker) run(ctx context.Context, msg jetstream.Msg) ([]byte, error) {
	if w.opts.Heartbeat > 0 {
		done := make(chan struct{})
		defer close(done)
		go func() {
			t := time.NewTicker(w.opts.Heartbeat)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					_ = msg.InProgress()
				}
			}
		}()
	}
	return w.opts.Handler.Handle(ctx, msg.Data())
}

// ignoreClosed drops the error of an ack on a closed connection: the server
// will redeliver, which is the intended outcome.
func ignoreClosed(err error) error {
	if err == nil || errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionDraining) {
		return nil
	}
	return fmt.Errorf("queue: ack: %w", err)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
