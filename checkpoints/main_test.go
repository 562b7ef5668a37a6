package checkpoints

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The crash and signal tests re-execute this test binary as a child process;
// childModeEnv selects what the child does instead of running the tests.
const (
	childModeEnv = "CHECKPOINTS_TEST_CHILD"
	childRootEnv = "CHECKPOINTS_TEST_ROOT"
	childSizeEnv = "CHECKPOINTS_TEST_SIZE"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childModeEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

func runChild(mode string) int {
	root := os.Getenv(childRootEnv)
	var err error
	switch mode {
	case "crashloop":
		size, perr := strconv.Atoi(os.Getenv(childSizeEnv))
		if perr != nil {
			err = perr
			break
		}
		err = childCrashLoop(root, size)
	case "train":
		err = childTrain(root, false)
	case "train-hang":
		err = childTrain(root, true)
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// patternWriter streams the bytes of pattern(seed, n) in 64 KiB chunks, the
// way a weights encoder would write a large tensor.
func patternWriter(seed int64, n int) WriteFunc {
	return func(w io.Writer) error {
		g := newXorshift(seed)
		buf := make([]byte, 64<<10)
		for n > 0 {
			chunk := buf[:min(n, len(buf))]
			g.fill(chunk)
			if _, err := w.Write(chunk); err != nil {
				return err
			}
			n -= len(chunk)
		}
		return nil
	}
}

type xorshift struct{ x uint64 }

func newXorshift(seed int64) *xorshift { return &xorshift{x: uint64(seed)*0x9E3779B97F4A7C15 + 1} }

func (g *xorshift) fill(b []byte) {
	x := g.x
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	g.x = x
}

// crashContent is what the crash-loop child saves at step.
func crashContent(step int64, size int) Content {
	return Content{
		Files: []File{
			{Name: "model.bin", Write: patternWriter(step, size)},
			{Name: "optimizer.bin", Write: patternWriter(-step, size)},
		},
		State:  map[string]any{"loop": loopState{Step: step}},
		Config: []byte("size: " + strconv.Itoa(size) + "\n"),
	}
}

// childCrashLoop resumes from the latest checkpoint under root and saves
// checkpoints forever, announcing each one before and after it is written.
func childCrashLoop(root string, size int) error {
	step := int64(1)
	if c, _, err := Latest(root); err == nil {
		step = c.Step() + 1
	}
	for ; ; step++ {
		fmt.Printf("begin %d\n", step)
		if _, err := Save(context.Background(), root, step, crashContent(step, size), Options{Keep: 3}); err != nil {
			return err
		}
		fmt.Printf("done %d\n", step)
	}
}

// trainState is the loop state the training child saves.
type trainState struct {
	Step   int64  `json:"step"`
	Signal string `json:"signal,omitempty"`
}

// childTrain is a trainer loop following the package documentation: it
// saves every 25 steps and, once SIGINT/SIGTERM cancels its context, writes a
// final checkpoint under FinalContext. With hang the final checkpoint's
// weights never finish writing.
func childTrain(root string, hang bool) error {
	ctx, stop := NotifyContext(context.Background())
	defer stop()
	saver := &Saver{Root: root, Options: Options{Keep: 2}}
	content := func(step int64, sig string, w WriteFunc) Content {
		return Content{
			Files: []File{{Name: "model.bin", Write: w}},
			State: map[string]any{"loop": trainState{Step: step, Signal: sig}},
		}
	}
	step, saved := int64(0), int64(-1)
	for step < 1_000_000 && ctx.Err() == nil {
		time.Sleep(2 * time.Millisecond) // one training step
		step++
		if step%25 == 0 {
			if _, err := saver.Save(ctx, step, content(step, "", patternWriter(step, 1<<16))); err == nil {
				saved = step
				fmt.Printf("saved %d\n", step)
			}
		}
	}
	sig, ok := Interrupted(ctx)
	if !ok {
		return fmt.Errorf("loop ended without a signal: %v", context.Cause(ctx))
	}
	if saved == step {
		fmt.Printf("final %d\n", step)
		return nil
	}
	w := patternWriter(step, 1<<16)
	if hang {
		w = func(io.Writer) error {
			fmt.Println("final-begin")
			time.Sleep(time.Minute)
			return nil
		}
	}
	fctx, cancel := FinalContext(ctx, 30*time.Second)
	defer cancel()
	if _, err := saver.Save(fctx, step, content(step, sig.String(), w)); err != nil {
		return err
	}
	fmt.Printf("final %d\n", step)
	return nil
}

// child is a running re-executed test binary whose stdout lines arrive on lines.
type child struct {
	cmd   *exec.Cmd
	lines chan string
}

func startChild(t *testing.T, mode, root string, extraEnv ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childModeEnv+"="+mode, childRootEnv+"="+root)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return c
}

// waitLine returns the next line starting with prefix, failing after timeout.
func (c *child) waitLine(t *testing.T, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	var skipped []string
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				t.Fatalf("child exited before printing %q (it printed %q)", prefix, skipped)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
			skipped = append(skipped, line)
		case <-deadline:
			t.Fatalf("child printed no %q within %v", prefix, timeout)
		}
	}
}

// rest returns the remaining lines once the child's stdout is closed.
func (c *child) rest() []string {
	var lines []string
	for line := range c.lines {
		lines = append(lines, line)
	}
	return lines
}

// lineStep parses "word N" into N.
func lineStep(t *testing.T, line string) int64 {
	t.Helper()
	_, num, _ := strings.Cut(line, " ")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		t.Fatalf("bad child line %q", line)
	}
	return n
}
