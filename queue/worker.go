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
	Errors     uint64 // pull restarts, and acks or results lost to connection trouble (the server redelivers)
	LastError  string // the latest of those
}

// Worker pulls jobs of one kind and runs them with a Handler.
type Worker struct {
	opts                                WorkerOptions
	js                                  jetstream.JetStream
	cons                                jetstream.Consumer
	jobs, retries, failures, dups, errs atomic.Uint64
	lastErr                             atomic.Pointer[string]
}

// noteErr counts err and keeps it for Stats.
func (w *Worker) noteErr(err error) {
	w.errs.Add(1)
	msg := err.Error()
	w.lastErr.Store(&msg)
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
	s := WorkerStats{Jobs: w.jobs.Load(), Retries: w.retries.Load(), Failures: w.failures.Load(), Duplicates: w.dups.Load(), Errors: w.errs.Load()}
	if p := w.lastErr.Load(); p != nil {
		s.LastError = *p
	}
	return s
}

// Run pulls and runs jobs until ctx ends. Jobs running at that point are
// handed back for redelivery. Fetch errors (a reconnect, a deleted
// consumer) are counted and retried instead of ending Run.
func (w *Worker) Run(ctx context.Context) error {
	sem := make(chan struct{}, w.opts.Slots)
	g := new(errgroup.Group)
	for ctx.Err() == nil {
		if err := w.pull(ctx, sem, g); err != nil && ctx.Err() == nil {
			w.noteErr(err)
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
			}
			if cons, err := ensureKind(ctx, w.js, w.opts.Kind, w.opts.Config, false); err == nil {
				w.cons = cons
			}
		}
	}
	return g.Wait()
}

// pollWait bounds one pull request. A Fetch per batch of free slots keeps
// the pull accounting explicit: the server never holds a request the worker
// has forgotten, so a job cannot wait for a missed heartbeat to be pulled.
const pollWait = time.Second

// pull fetches jobs for the free slots and runs them, until ctx ends (nil)
// or a fetch fails.
func (w *Worker) pull(ctx context.Context, sem chan struct{}, g *errgroup.Group) error {
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		n := 1
	more:
		for n < cap(sem) {
			select {
			case sem <- struct{}{}:
				n++
			default:
				break more
			}
		}
		fctx, cancel := context.WithTimeout(ctx, pollWait)
		batch, err := w.cons.Fetch(n, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			release(sem, n)
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("queue: worker %s: fetch: %w", w.opts.Name, err)
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			g.Go(func() error {
				defer release(sem, 1)
				if err := w.handle(ctx, msg); err != nil {
					w.noteErr(err)
				}
				return nil
			})
		}
		cancel()
		release(sem, n-got)
		if err := batch.Error(); err != nil && ctx.Err() == nil && !isFetchTimeout(err) {
			return fmt.Errorf("queue: worker %s: fetch: %w", w.opts.Name, err)
		}
	}
}

func release(sem chan struct{}, n int) {
	for range n {
		<-sem
	}
}

// isFetchTimeout reports the normal end of a pull request that found fewer
// jobs than it asked for.
func isFetchTimeout(err error) bool {
	return errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)
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
