package benchexec

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"acecoder/rewards"
)

// harnessScript is the AceCoder-style harness (see its docstring).
//
//go:embed harness.py
var harnessScript string

// WriteJobs writes jobs as acecoder exec input (JSON lines).
func WriteJobs(path string, jobs []rewards.Job) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, j := range jobs {
		if err := enc.Encode(j); err != nil {
			return fmt.Errorf("benchexec: encode %s: %w", j.ID, err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("benchexec: %w", err)
	}
	return nil
}

// HarnessResult is one run of the AceCoder-style harness.
type HarnessResult struct {
	Elapsed  time.Duration // from the pool's start to the last verdict
	Wall     time.Duration // the whole process, interpreter start included
	Verdicts [][]string    // per job, per test: pass, fail, error, timeout, crash
}

// Passed counts the passing tests.
func (h HarnessResult) Passed() (passed, total int) {
	for _, v := range h.Verdicts {
		for _, s := range v {
			if s == "pass" {
				passed++
			}
			total++
		}
	}
	return passed, total
}

// RunHarness runs the AceCoder-style harness with python on the jobs file.
func RunHarness(ctx context.Context, python, jobsPath string, workers int, timeout time.Duration) (HarnessResult, error) {
	var res HarnessResult
	in, err := os.Open(jobsPath)
	if err != nil {
		return res, fmt.Errorf("benchexec: %w", err)
	}
	defer in.Close()
	cmd := exec.CommandContext(ctx, python, "-I", "-c", harnessScript, strconv.Itoa(workers),
		strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	cmd.Stdin = in
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	res.Wall = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("benchexec: harness: %w: %s", err, tail(stderr.String()))
	}
	var n int
	var secs float64
	last := tail(stderr.String())
	if _, err := fmt.Sscanf(last, "harness: %d programs in %f s", &n, &secs); err != nil {
		return res, fmt.Errorf("benchexec: harness summary %q: %w", last, err)
	}
	res.Elapsed = time.Duration(secs * float64(time.Second))
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var row struct {
			Tests []string `json:"tests"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return res, fmt.Errorf("benchexec: harness verdict %d: %w", len(res.Verdicts)+1, err)
		}
		res.Verdicts = append(res.Verdicts, row.Tests)
	}
	if len(res.Verdicts) != n {
		return res, fmt.Errorf("benchexec: harness wrote %d verdict lines for %d programs", len(res.Verdicts), n)
	}
	return res, nil
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
