package queue

import (
	"context"
	"errors"

	"acecoder/rewards"
)

// ExecOptions configures StartExec.
type ExecOptions struct {
	Conn   ConnOptions // Conn.URL "" starts the embedded server (the default)
	Config KindConfig
	Runner rewards.RunnerOptions // the local worker's sandboxed runner
	// NoLocalWorker leaves execution to remote `acecoder worker` processes;
	// only valid with Conn.URL.
	NoLocalWorker bool
	Slots         int // local worker's concurrent jobs; 0 means 8 × runner workers
}

// ExecQueue executes rewards jobs through the queue: by default on a local
// runner behind an embedded server, with Conn.URL on any worker attached to
// that server. It has the Do/Run/Stream methods of rewards.Runner.
type ExecQueue struct {
	*Executor
	Queue  *Queue
	runner *rewards.Runner
}

// StartExec starts the queue, and the local runner and worker unless
// o.NoLocalWorker.
func StartExec(ctx context.Context, o ExecOptions) (*ExecQueue, error) {
	if o.NoLocalWorker && o.Conn.URL == "" {
		return nil, errors.New("queue: an embedded server needs the local worker")
	}
	x := &ExecQueue{}
	if o.Conn.URL == "" {
		// The embedded server's store lives and dies with this process;
		// memory spares every job and result a trip through the disk.
		o.Config.Memory = true
	}
	qo := Options{Conn: o.Conn, Config: o.Config}
	if !o.NoLocalWorker {
		r, err := rewards.NewRunner(ctx, o.Runner)
		if err != nil {
			return nil, err
		}
		x.runner = r
		slots := o.Slots
		if slots <= 0 {
			// Runner.Do queues the extra jobs; more jobs in flight batch the
			// broker's messages (measured: less CPU per job than 2×).
			slots = 8 * r.Options().Workers
		}
		qo.Local = []WorkerOptions{{Kind: KindExec, Slots: slots, Handler: ExecHandler(r), Name: "local"}}
	}
	q, err := Start(ctx, qo)
	if err != nil {
		if x.runner != nil {
			err = errors.Join(err, x.runner.Close())
		}
		return nil, err
	}
	x.Queue, x.Executor = q, NewExecutor(q.Client)
	return x, nil
}

// Protections lists the local runner's protections in force (none without
// a local worker).
func (x *ExecQueue) Protections() []string {
	if x.runner == nil {
		return nil
	}
	return x.runner.Protections()
}

// Close stops the queue, then the local runner.
func (x *ExecQueue) Close() error {
	err := x.Queue.Close()
	if x.runner != nil {
		err = errors.Join(err, x.runner.Close())
	}
	return err
}
