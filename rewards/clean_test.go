package rewards

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// hostState is what a runner must leave as it found it.
type hostState struct {
	fds      int
	children []string // processes whose parent is this process
	temp     []string // working directories of unisolated workers in the temp dir
	cgroups  []string // acecoder-<our pid>-* cgroups
}

func snapshotHost(t *testing.T) hostState {
	t.Helper()
	var s hostState
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	s.fds = len(fds)
	me := strconv.Itoa(os.Getpid())
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		if f := procStatFields(pid); len(f) > 1 && f[1] == me {
			s.children = append(s.children, p.Name()+":"+f[0])
		}
	}
	s.temp, _ = filepath.Glob(filepath.Join(os.TempDir(), "acecoder-work-*"))
	h := ProbeCgroups("/sys/fs/cgroup")
	parents := []string{h.Root}
	if h.Version == 1 {
		parents = []string{filepath.Join(h.Root, "memory"), filepath.Join(h.Root, "pids")}
	}
	for _, p := range parents {
		m, _ := filepath.Glob(filepath.Join(p, "acecoder-"+me+"-*"))
		s.cgroups = append(s.cgroups, m...)
	}
	return s
}

// soakJobs mixes ordinary programs with ones that leave things behind:
// daemons, files, early exits, crashes, output.
func soakJobs(n int) []Job {
	base := BenchWorkload(n, 5, 7)
	nasty := []string{
		"import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(30)\n",
		"open('junk', 'w').write('x' * 100000)\nimport os\nos.mkdir('d')\nopen('d/f', 'w').close()\n",
		"import os\nos._exit(3)\n",
		"import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
		"print('y' * 100000)\n",
		"raise SystemExit(0)\n",
		"import subprocess\nsubprocess.Popen(['sleep', '30'])\n",
	}
	for i := range base {
		if i%10 == 3 {
			base[i].Program = nasty[(i/10)%len(nasty)] + base[i].Program
		}
	}
	return base
}

// runSoak runs n programs through a fresh runner and checks that no
// zombie, leftover process, file descriptor, temporary file or cgroup
// remains afterwards.
func runSoak(t *testing.T, n int, noIsolation bool) {
	// Warm-up: the first runner creates process-wide resources (the Go
	// netpoller's epoll fd) that stay.
	warm, err := NewRunner(context.Background(), RunnerOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	warm.Close()
	before := snapshotHost(t)
	r, err := NewRunner(context.Background(), RunnerOptions{Workers: 2, Timeout: 2 * time.Second, NoIsolation: noIsolation})
	if err != nil {
		t.Fatal(err)
	}
	jobs := soakJobs(n)
	start := time.Now()
	res, err := r.Run(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[Status]int{}
	for _, x := range res {
		for _, v := range x.Tests {
			counts[v.Status]++
		}
	}
	t.Logf("%d programs in %s: %v", n, time.Since(start).Round(time.Millisecond), counts)
	if left := sandboxProcesses(t, r); len(left) > 0 && r.iso.namespaces {
		t.Errorf("sandboxed processes left while running: %v", left)
	}
	r.Close()
	var after hostState
	for try := 0; try < 50; try++ { // the kernel may take a moment to release the last pipes
		after = snapshotHost(t)
		if after.fds == before.fds && len(after.children) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if after.fds != before.fds {
		t.Errorf("file descriptors: %d before, %d after", before.fds, after.fds)
	}
	if len(after.children) > 0 {
		t.Errorf("child processes (zombies or leftovers) after Close: %v", after.children)
	}
	if fmt.Sprint(after.temp) != fmt.Sprint(before.temp) {
		t.Errorf("temporary files: before %v, after %v", before.temp, after.temp)
	}
	if len(after.cgroups) > 0 {
		t.Errorf("cgroups left: %v", after.cgroups)
	}
}

// TestNoLeftovers is the short form of the soak run (see soak_test.go,
// build tag soak, for >= 20,000 programs).
func TestNoLeftovers(t *testing.T) {
	t.Run("isolated", func(t *testing.T) { runSoak(t, 300, false) })
	t.Run("no-isolation", func(t *testing.T) { runSoak(t, 300, true) })
}
