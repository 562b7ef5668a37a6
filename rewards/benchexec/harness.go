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

// RunStats is one run of a harness (or of acecoder exec) over a jobs file.
type RunStats struct {
	Programs      int
	Elapsed       time.Duration // as the harness measures it, from its pool's (runner's) start to the last verdict
	Wall          time.Duration // the whole process, start-up included
	Passed, Tests int
	Verdicts      [][]string // per job, per test (the harness only): pass, fail, error, timeout, crash
}

// Rate is programs per second over Elapsed.
func (s RunStats) Rate() float64 { return float64(s.Programs) / s.Elapsed.Seconds() }

// run runs cmd (made with exec.CommandContext) to the end, killing its
// process group when the context ends, and fills Wall. (The rusage of the
// child is no measure of CPU here: acecoder exec's sandboxed processes end
// with their PID namespace and are not always counted in it.)
func run(cmd *exec.Cmd, st *RunStats) (stdout, stderr []byte, err error) {
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err = cmd.Run()
	st.Wall = time.Since(start)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s", err, tail(errb.String()))
	}
	return out.Bytes(), errb.Bytes(), nil
}

// RunHarness runs the AceCoder-style harness with python on the jobs file.
func RunHarness(ctx context.Context, python, jobsPath string, workers int, timeout time.Duration) (RunStats, error) {
	var st RunStats
	in, err := os.Open(jobsPath)
	if err != nil {
		return st, fmt.Errorf("benchexec: %w", err)
	}
	defer in.Close()
	cmd := exec.CommandContext(ctx, python, "-I", "-c", harnessScript, strconv.Itoa(workers),
		strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	cmd.Stdin = in
	stdout, stderr, err := run(cmd, &st)
	if err != nil {
		return st, fmt.Errorf("benchexec: harness: %w", err)
	}
	var secs float64
	last := tail(string(stderr))
	if _, err := fmt.Sscanf(last, "harness: %d programs in %f s", &st.Programs, &secs); err != nil {
		return st, fmt.Errorf("benchexec: harness summary %q: %w", last, err)
	}
	st.Elapsed = time.Duration(secs * float64(time.Second))
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(nil, 16<<20)
	lines := 0
	for sc.Scan() {
		var row struct {
			Tests []string `json:"tests"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return st, fmt.Errorf("benchexec: harness verdict %d: %w", lines+1, err)
		}
		lines++
		st.Verdicts = append(st.Verdicts, row.Tests)
		for _, v := range row.Tests {
			st.Tests++
			if v == "pass" {
				st.Passed++
			}
		}
	}
	if lines != st.Programs {
		return st, fmt.Errorf("benchexec: harness wrote %d verdict lines for %d programs", lines, st.Programs)
	}
	return st, nil
}

// RunExec runs `binary exec` (acecoder's) on the jobs file with workers
// sandboxed workers and reads its summary line and results.
func RunExec(ctx context.Context, binary, jobsPath string, workers int, timeout time.Duration) (RunStats, error) {
	var st RunStats
	out, err := os.CreateTemp("", "acecoder-bench-*.jsonl")
	if err != nil {
		return st, fmt.Errorf("benchexec: %w", err)
	}
	out.Close()
	defer os.Remove(out.Name())
	cmd := exec.CommandContext(ctx, binary, "exec", "-q", "--in", jobsPath, "--out", out.Name(),
		"--exec-workers", strconv.Itoa(workers), "--exec-timeout", timeout.String())
	_, stderr, err := run(cmd, &st)
	if err != nil {
		return st, fmt.Errorf("benchexec: acecoder exec: %w", err)
	}
	var tests int
	var secs, rate float64
	last := tail(string(stderr))
	if _, err := fmt.Sscanf(last, "exec: %d programs, %d tests in %fs: %f programs/s", &st.Programs, &tests, &secs, &rate); err != nil || rate <= 0 {
		return st, fmt.Errorf("benchexec: exec summary %q: %v", last, err)
	}
	st.Elapsed = time.Duration(float64(st.Programs) / rate * float64(time.Second))
	data, err := os.ReadFile(out.Name())
	if err != nil {
		return st, fmt.Errorf("benchexec: %w", err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var row struct {
			Passed int `json:"passed"`
			Total  int `json:"total"`
		}
		if err := json.Unmarshal(line, &row); err != nil {
			return st, fmt.Errorf("benchexec: exec result: %w", err)
		}
		st.Passed, st.Tests = st.Passed+row.Passed, st.Tests+row.Total
	}
	return st, nil
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
