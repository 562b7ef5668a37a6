package data

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

// UnsandboxedPython runs each program in a fresh Python interpreter with no
// sandbox at all: the program can do anything the current user can. It
// exists for tests and trusted programs; pipelines over model output should
// use a sandboxed Executor (see NewRunnerExecutor).
type UnsandboxedPython struct {
	Interpreter string        // absolute path, default /usr/bin/python3
	Timeout     time.Duration // per program, default 10s
	Workers     int           // programs run at once, default 2
}

// harness runs the program once, then each test in the same namespace,
// printing "<index> <0|1>" per test as it finishes. Tests not reported
// (timeout, crash) count as failed.
const harness = `import json, os, sys
job = json.loads(sys.stdin.read())
out = sys.stdout
sys.stdout = open(os.devnull, "w")
g = {"__name__": "__main__"}
try:
    exec(compile(job["program"], "<program>", "exec"), g)
except BaseException as e:
    print("program_error", type(e).__name__, file=out, flush=True)
    sys.exit(0)
for i, t in enumerate(job["tests"]):
    ok = 1
    try:
        exec(compile(t, "<test>", "exec"), g)
    except BaseException:
        ok = 0
    print(i, ok, file=out, flush=True)
`

// Execute implements Executor.
func (p *UnsandboxedPython) Execute(ctx context.Context, jobs []ExecJob) ([]ExecResult, error) {
	interp, timeout, workers := p.Interpreter, p.Timeout, p.Workers
	if interp == "" {
		interp = "/usr/bin/python3"
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if workers <= 0 {
		workers = 2
	}
	out := make([]ExecResult, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	var mu sync.Mutex
	for i := range jobs {
		g.Go(func() error {
			r, err := runOne(gctx, interp, timeout, jobs[i])
			if err != nil {
				return err
			}
			mu.Lock()
			out[i] = r
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func runOne(ctx context.Context, interp string, timeout time.Duration, job ExecJob) (ExecResult, error) {
	in, err := json.Marshal(map[string]any{"program": job.Program, "tests": job.Tests})
	if err != nil {
		return ExecResult{}, fmt.Errorf("data: encode job %s: %w", job.ID, err)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, interp, "-I", "-S", "-c", harness)
	cmd.Stdin = bytes.NewReader(in)
	var stdout cappedBuffer
	cmd.Stdout = &stdout
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "PYTHONHASHSEED=0"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return ExecResult{}, ctx.Err()
	}
	var ee *exec.ExitError
	if runErr != nil && !errors.As(runErr, &ee) && cctx.Err() == nil {
		return ExecResult{}, fmt.Errorf("data: start %s: %w", interp, runErr)
	}
	res := ExecResult{ID: job.ID, PerTest: make([]bool, len(job.Tests))}
	status := parseHarness(stdout.String(), res.PerTest)
	switch {
	case cctx.Err() != nil:
		res.Status = "timeout"
	case status != "":
		res.Status = status
	case runErr != nil:
		res.Status = "crash"
	}
	res.PassRate = passRate(res.PerTest)
	return res, nil
}

// parseHarness fills perTest from the harness output and returns the
// program error line's status, if any.
func parseHarness(out string, perTest []bool) string {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 1 && f[0] == "program_error" {
			return "program_error"
		}
		if len(f) != 2 {
			continue
		}
		i, err := strconv.Atoi(f[0])
		if err == nil && i >= 0 && i < len(perTest) {
			perTest[i] = f[1] == "1"
		}
	}
	return ""
}

// cappedBuffer keeps the first 1 MiB written to it.
type cappedBuffer struct{ bytes.Buffer }

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := 1<<20 - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
