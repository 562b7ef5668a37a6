package checkpoints

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalWritesFinalCheckpoint sends SIGTERM or SIGINT to a child running
// a trainer loop; the child must stop, write a final checkpoint for the step
// it reached under a fresh context, and exit cleanly.
func TestSignalWritesFinalCheckpoint(t *testing.T) {
	tests := []struct {
		name string
		sig  syscall.Signal
	}{
		{name: "SIGTERM", sig: syscall.SIGTERM},
		{name: "SIGINT", sig: syscall.SIGINT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			c := startChild(t, "train", root)
			c.waitLine(t, "saved ", 30*time.Second)
			time.Sleep(30 * time.Millisecond) // land between periodic saves, usually
			if err := c.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			final := c.waitLine(t, "final ", 30*time.Second)
			c.rest()
			if err := c.cmd.Wait(); err != nil {
				t.Fatalf("child after %v: %v", tc.sig, err)
			}
			step := lineStep(t, final)
			ck, skipped, err := Latest(root)
			if err != nil || len(skipped) > 0 {
				t.Fatalf("Latest = %v (skipped %v)", err, skipped)
			}
			if ck.Step() != step {
				t.Errorf("newest checkpoint is step %d, child reported final step %d", ck.Step(), step)
			}
			var st trainState
			if err := ck.DecodeState("loop", &st); err != nil {
				t.Fatal(err)
			}
			if st.Step != step || (step%25 != 0 && st.Signal != tc.sig.String()) {
				t.Errorf("final loop state %+v, want step %d interrupted by %q", st, step, tc.sig.String())
			}
			assertNoTemp(t, root)
		})
	}
}

// TestSecondSignalKills: while the final checkpoint hangs, a second SIGTERM
// takes the default action, and the periodic checkpoint stays the newest.
func TestSecondSignalKills(t *testing.T) {
	root := t.TempDir()
	c := startChild(t, "train-hang", root)
	saved := lineStep(t, c.waitLine(t, "saved ", 30*time.Second))
	// Land between periodic saves: a signal right after one needs no final save.
	time.Sleep(10 * time.Millisecond)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.waitLine(t, "final-begin", 30*time.Second)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.rest()
	err := c.cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child exit: %v, want killed by SIGTERM", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("child exit %v, want killed by SIGTERM", err)
	}
	ck, _, err := Latest(root)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Step() < saved || ck.Step()%25 != 0 {
		t.Errorf("newest checkpoint step %d, want the last periodic one (>= %d)", ck.Step(), saved)
	}
}

func TestInterruptedAndFinalContext(t *testing.T) {
	ctx, stop := NotifyContext(context.Background())
	if _, ok := Interrupted(ctx); ok {
		t.Fatal("fresh context reports a signal")
	}
	stop()
	if _, ok := Interrupted(ctx); ok || !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("after stop: Interrupted ok=%v, Err=%v; want plain cancellation", ok, ctx.Err())
	}

	type key struct{}
	parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), key{}, "run-7"))
	cancel(&InterruptError{Signal: os.Interrupt})
	if sig, ok := Interrupted(parent); !ok || sig != os.Interrupt {
		t.Fatalf("Interrupted = %v, %v; want interrupt", sig, ok)
	}
	fctx, fcancel := FinalContext(parent, 50*time.Millisecond)
	defer fcancel()
	if fctx.Err() != nil || fctx.Value(key{}) != "run-7" {
		t.Fatalf("FinalContext: Err=%v, value=%v; want live context keeping values", fctx.Err(), fctx.Value(key{}))
	}
	<-fctx.Done()
	if !errors.Is(fctx.Err(), context.DeadlineExceeded) {
		t.Errorf("FinalContext after timeout: %v", fctx.Err())
	}
	if !strings.Contains((&InterruptError{Signal: syscall.SIGTERM}).Error(), "terminated") {
		t.Error("InterruptError does not name the signal")
	}
}
