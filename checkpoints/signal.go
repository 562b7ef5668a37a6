package checkpoints

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// InterruptError is the cancellation cause of a context returned by
// NotifyContext once a signal arrived.
type InterruptError struct {
	// Signal is the signal received (os.Interrupt or syscall.SIGTERM).
	Signal os.Signal
}

func (e *InterruptError) Error() string { return "interrupted by signal: " + e.Signal.String() }

// NotifyContext returns a copy of parent that is cancelled when the process
// receives SIGINT or SIGTERM; context.Cause of the context is then an
// *InterruptError naming the signal. Only the first signal is caught: after
// it the default action is restored, so a second SIGINT/SIGTERM stops a
// final checkpoint that hangs; that holds only while nothing else in the
// process (e.g. signal.NotifyContext) is also subscribed to the signal.
// Call stop to release the signal handler.
//
// The pattern for trainers is in the package documentation: the loop stops
// on ctx.Err(), then writes a final checkpoint under FinalContext.
func NotifyContext(parent context.Context) (ctx context.Context, stop context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel(context.Canceled)
		})
	}
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(&InterruptError{Signal: s})
		case <-ctx.Done():
			signal.Stop(ch)
		case <-done:
		}
	}()
	return ctx, stop
}

// Interrupted returns the signal that cancelled ctx (a context from
// NotifyContext, or one derived from it), if any.
func Interrupted(ctx context.Context) (os.Signal, bool) {
	var ie *InterruptError
	if errors.As(context.Cause(ctx), &ie) {
		return ie.Signal, true
	}
	return nil, false
}

// FinalContext returns a context for writing the last checkpoint after ctx
// was cancelled: it keeps ctx's values, drops its cancellation, and expires
// after timeout so a stuck disk cannot keep the process alive forever.
func FinalContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), timeout)
}
