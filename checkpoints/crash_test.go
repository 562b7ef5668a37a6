package checkpoints

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGKILLDuringSave kills a child process that saves checkpoints in a
// loop with SIGKILL at random moments, several times. Runs alternate between
// large checkpoints (the kill mostly lands while files are written) and small
// ones (it lands as often in the fsyncs, rename and pruning). After every kill the
// newest checkpoint must verify and hold the bytes written for its step, no
// step directory may be half-written, and the next run resumes after it.
func TestSIGKILLDuringSave(t *testing.T) {
	const smallSize = 64 << 10
	kills, size := 8, 8<<20
	if testing.Short() {
		kills, size = 3, 2<<20
	}
	seed := testSeed(t)
	t.Logf("seed %d, %d kills, 2 files of %d or %d bytes per checkpoint", seed, kills, size, smallSize)
	rng := rand.New(rand.NewPCG(seed, 1))
	root := t.TempDir()
	var lastDone, lastBegin int64
	midWrite := 0
	for i := range kills {
		runSize := size
		if i%2 == 1 {
			runSize = smallSize
		}
		c := startChild(t, "crashloop", root, childSizeEnv+"="+strconv.Itoa(runSize))
		// Kill somewhere inside or after the target-th save of this run.
		killDuring(t, c, 1+rng.IntN(3), time.Duration(rng.Int64N(int64(200*time.Millisecond))), &lastBegin, &lastDone)
		if checkAfterKill(t, root, lastDone, lastBegin) {
			midWrite++
		}
		if t.Failed() {
			t.Fatalf("after kill %d (last done %d, last begun %d)", i+1, lastDone, lastBegin)
		}
	}
	t.Logf("%d of %d kills left a save in progress; newest step %d", midWrite, kills, lastDone)

	// The next save clears what the kills left behind.
	if _, err := Save(context.Background(), root, lastBegin+1, crashContent(lastBegin+1, 1), Options{Keep: 3}); err != nil {
		t.Fatal(err)
	}
	assertNoTemp(t, root)
	if steps, _ := Steps(root); len(steps) != 3 {
		t.Errorf("steps after a clean save with Keep 3: %v", steps)
	}
}

// testSeed is the seed of a randomised test: CHECKPOINTS_TEST_SEED to
// reproduce a logged run, else the clock.
func testSeed(t *testing.T) uint64 {
	s := os.Getenv("CHECKPOINTS_TEST_SEED")
	if s == "" {
		return uint64(time.Now().UnixNano())
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// killDuring waits until the crash-loop child c has begun its target-th save,
// sleeps delay and kills it with SIGKILL, tracking the last step it began and
// the last it reported done.
func killDuring(t *testing.T, c *child, target int, delay time.Duration, lastBegin, lastDone *int64) {
	t.Helper()
	begins := 0
	track := func(line string) {
		switch {
		case strings.HasPrefix(line, "begin "):
			*lastBegin = lineStep(t, line)
			begins++
		case strings.HasPrefix(line, "done "):
			*lastDone = lineStep(t, line)
		}
	}
	for begins < target {
		line, ok := <-c.lines
		if !ok {
			t.Fatal("child exited on its own")
		}
		track(line)
	}
	time.Sleep(delay)
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for _, line := range c.rest() {
		track(line)
	}
	_ = c.cmd.Wait()
}

// checkAfterKill verifies the state of root after the writer was killed and
// reports whether a temporary directory (a save in progress) was left.
func checkAfterKill(t *testing.T, root string, lastDone, lastBegin int64) bool {
	t.Helper()
	steps, err := Steps(root)
	if err != nil {
		t.Fatal(err)
	}
	// Keep is 3; while the 4th is renamed in and before pruning, there are 4.
	if len(steps) > 4 {
		t.Errorf("%d step directories with Keep 3: %v", len(steps), steps)
	}
	for _, s := range steps {
		if _, err := Load(filepath.Join(root, StepDirName(s))); err != nil {
			t.Errorf("a step directory is not a complete checkpoint: %v", err)
		}
	}
	if lastDone > 0 {
		c, skipped, err := Latest(root)
		if err != nil {
			t.Fatalf("no usable checkpoint after kill: %v", err)
		}
		if len(skipped) > 0 {
			t.Errorf("Latest skipped %v", skipped)
		}
		if c.Step() < lastDone || c.Step() > lastBegin {
			t.Errorf("Latest step %d, want between %d (last completed) and %d (last begun)", c.Step(), lastDone, lastBegin)
		}
		checkCrashContent(t, c)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			return true
		}
	}
	return false
}

// checkCrashContent checks that c holds exactly what crashContent wrote.
func checkCrashContent(t *testing.T, c *Checkpoint) {
	t.Helper()
	cfg, err := c.Config()
	if err != nil {
		t.Fatal(err)
	}
	size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(string(cfg), "size:")))
	if err != nil {
		t.Fatalf("config %q: %v", cfg, err)
	}
	for name, seed := range map[string]int64{"model.bin": c.Step(), "optimizer.bin": -c.Step()} {
		data, err := c.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, pattern(seed, size)) {
			t.Errorf("%s of step %d does not hold the bytes written for that step", name, c.Step())
		}
	}
	var loop loopState
	if err := c.DecodeState("loop", &loop); err != nil || loop.Step != c.Step() {
		t.Errorf("loop state = %+v, %v; want step %d", loop, err, c.Step())
	}
}
