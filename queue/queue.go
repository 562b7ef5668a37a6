package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
)

// Options configures Start.
type Options struct {
	// Conn.URL empty starts an embedded server; otherwise the client (and
	// the local workers) connect to that server or cluster.
	Conn   ConnOptions
	Server ServerOptions
	Config KindConfig // applied to every kind and to the local workers
	Client ClientOptions
	// Local workers run in this process (each on its own connection);
	// with an external server they may be empty.
	Local []WorkerOptions
}

// Queue is a Client plus, by default, the embedded server and local workers
// it needs: what `train-policy` and `acecoder exec` start.
type Queue struct {
	Client  *Client
	server  *Server
	conns   []*nats.Conn
	workers []*Worker
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errMu   sync.Mutex
	err     error
}

// Start starts the server (unless o.Conn.URL is set), the local workers and
// the client.
func Start(ctx context.Context, o Options) (q *Queue, err error) {
	q = &Queue{}
	defer func() {
		if err != nil {
			err = errors.Join(err, q.Close())
		}
	}()
	if o.Conn.URL == "" {
		if q.server, err = StartServer(o.Server); err != nil {
			return q, err
		}
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	q.cancel = cancel
	for i, wo := range o.Local {
		wo.Config = o.Config
		nc, err := q.dial(fmt.Sprintf("acecoder-local-%s-%d", wo.Kind, i), o.Conn)
		if err != nil {
			return q, err
		}
		w, err := NewWorker(ctx, nc, wo)
		if err != nil {
			return q, err
		}
		q.workers = append(q.workers, w)
		q.wg.Go(func() { q.setErr(w.Run(wctx)) })
	}
	nc, err := q.dial("acecoder-client", o.Conn)
	if err != nil {
		return q, err
	}
	o.Client.Config = o.Config
	q.Client, err = NewClient(ctx, nc, o.Client)
	return q, err
}

// dial opens an in-process connection to the embedded server, or a network
// one to o.URL.
func (q *Queue) dial(name string, o ConnOptions) (*nats.Conn, error) {
	var nc *nats.Conn
	var err error
	if q.server != nil {
		nc, err = q.server.Conn(name)
	} else {
		o.Name = name
		nc, err = Connect(o)
	}
	if err != nil {
		return nil, err
	}
	q.conns = append(q.conns, nc)
	return nc, nil
}

func (q *Queue) setErr(err error) {
	if err == nil {
		return
	}
	q.errMu.Lock()
	q.err = errors.Join(q.err, err)
	q.errMu.Unlock()
}

// URL is the embedded server's loopback address ("" with an external one),
// for worker processes started on this machine.
func (q *Queue) URL() string {
	if q.server == nil {
		return ""
	}
	return q.server.URL()
}

// WorkerStats returns the local workers' counters, in Options.Local order.
func (q *Queue) WorkerStats() []WorkerStats {
	s := make([]WorkerStats, len(q.workers))
	for i, w := range q.workers {
		s[i] = w.Stats()
	}
	return s
}

// Close stops the client and the local workers, then the server, and
// returns any error a worker stopped with.
func (q *Queue) Close() error {
	var errs []error
	if q.Client != nil {
		errs = append(errs, q.Client.Close())
	}
	if q.cancel != nil {
		q.cancel()
	}
	q.wg.Wait()
	for _, nc := range q.conns {
		nc.Close()
	}
	if q.server != nil {
		errs = append(errs, q.server.Close())
	}
	q.errMu.Lock()
	errs = append(errs, q.err)
	q.errMu.Unlock()
	return errors.Join(errs...)
}
