package rewards

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// orphanHelperEnv makes this test binary act as a runner's parent process
// (see TestWorkersDieWithTheirParent).
const orphanHelperEnv = "ACECODER_ORPHAN_HELPER"

// A worker must not outlive the process that started it, even when that
// process is SIGKILLed in the middle of a job and after the worker has
// switched credentials to kill a sandbox (a credential change clears the
// parent-death signal). The parent here is a copy of this test binary:
// it runs one quick job, reports its worker pids, starts a job that spins
// for 60 s and is killed; every worker must be gone within seconds.
func TestWorkersDieWithTheirParent(t *testing.T) {
	if os.Getenv(orphanHelperEnv) == "1" {
		orphanHelper()
		return
	}
	if testing.Short() {
		t.Skip("starts a second runner process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWorkersDieWithTheirParent$", "-test.v")
	cmd.Env = append(os.Environ(), orphanHelperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pids []int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "skip: "); ok {
			t.Skip(rest)
		}
		if rest, ok := strings.CutPrefix(line, "workers: "); ok {
			for _, f := range strings.Fields(rest) {
				pid, _ := strconv.Atoi(f)
				pids = append(pids, pid)
			}
		}
		if line == "spinning" {
			break
		}
	}
	if len(pids) == 0 {
		t.Fatalf("the helper reported no workers (scan error %v)", sc.Err())
	}
	starts := map[int]string{}
	for _, pid := range pids {
		starts[pid] = procStart(pid)
	}
	time.Sleep(300 * time.Millisecond) // the spinning program is running
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var alive []int
		for _, pid := range pids {
			if s := procStart(pid); s != "" && s == starts[pid] && !procZombie(pid) {
				alive = append(alive, pid)
			}
		}
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range alive {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Fatalf("workers %v outlived their SIGKILLed parent by 5 s", alive)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func orphanHelper() {
	ctx := context.Background()
	r, err := NewRunner(ctx, RunnerOptions{Workers: 2, Timeout: 60 * time.Second})
	if err != nil {
		fmt.Println("skip: sandboxed runner unavailable:", err)
		return
	}
	quick := []Job{{ID: "a", Program: "x = 1", Tests: []string{"assert x == 1"}},
		{ID: "b", Program: "x = 2", Tests: []string{"assert x == 2"}}}
	if _, err := r.Run(ctx, quick); err != nil {
		fmt.Println("skip: quick job failed:", err)
		return
	}
	var pids []string
	for _, s := range r.slots {
		pids = append(pids, strconv.Itoa(s.p.cmd.Process.Pid))
	}
	fmt.Println("workers:", strings.Join(pids, " "))
	spin := []Job{{ID: "spin", Program: "while True:\n    pass", Tests: []string{"assert True"}}}
	go func() { _, _ = r.Run(ctx, spin) }()
	time.Sleep(100 * time.Millisecond)
	fmt.Println("spinning")
	time.Sleep(time.Minute)
}

// procStart is a process's start time (field 22 of /proc/PID/stat), to
// tell it from a later process with the same pid; "" if there is none.
func procStart(pid int) string {
	f := procStatFields(pid)
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

func procZombie(pid int) bool {
	f := procStatFields(pid)
	return len(f) > 0 && f[0] == "Z"
}

// procStatFields are the fields of /proc/PID/stat after the command name.
func procStatFields(pid int) []string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}
