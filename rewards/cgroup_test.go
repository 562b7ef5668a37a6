package rewards

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// TestCgroupFakeTrees drives the v2 and v1 code over directory trees that
// stand in for the kernel's: what is written where, and how OOM kills are
// counted. (TestCgroupV2RealHierarchy and TestOutOfMemoryVerdict use the
// kernel's.)
func TestCgroupFakeTrees(t *testing.T) {
	t.Run("v2", func(t *testing.T) {
		root := t.TempDir()
		writeFiles(t, root, map[string]string{"cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma", "cgroup.subtree_control": "cpu"})
		h := probeV2(root)
		if !h.Usable() || h.Version != 2 {
			t.Fatalf("probe: %s", h)
		}
		g, err := h.runnerGroup("acecoder-1-1")
		if err != nil {
			t.Fatal(err)
		}
		w, err := g.child("w0", 3<<30, 40)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.add(1234); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, "acecoder-1-1")
		for path, want := range map[string]string{
			"cgroup.subtree_control":              "+memory +pids",
			"acecoder-1-1/cgroup.subtree_control": "+memory +pids",
			"acecoder-1-1/w0/memory.max":          strconv.Itoa(3 << 30),
			"acecoder-1-1/w0/pids.max":            "40",
			"acecoder-1-1/w0/cgroup.procs":        "1234",
		} {
			if got := readFile(t, filepath.Join(root, path)); got != want {
				t.Errorf("%s = %q, want %q", path, got, want)
			}
		}
		if n := w.oomKills(); n != -1 {
			t.Errorf("oomKills without memory.events = %d, want -1", n)
		}
		writeFiles(t, dir, map[string]string{"w0/memory.events": "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\noom_group_kill 0\n"})
		if n := w.oomKills(); n != 2 {
			t.Errorf("oomKills = %d, want 2", n)
		}
		w.kill()
		if got := readFile(t, filepath.Join(dir, "w0", "cgroup.kill")); got != "1" {
			t.Errorf("cgroup.kill = %q, want 1", got)
		}
	})
	t.Run("v2 without pids", func(t *testing.T) {
		root := t.TempDir()
		writeFiles(t, root, map[string]string{"cgroup.controllers": "cpu memory"})
		if h := probeV2(root); h.Usable() || !strings.Contains(h.Reason, "pids") {
			t.Errorf("probe = %s, want unusable for lack of pids", h)
		}
	})
	t.Run("v1", func(t *testing.T) {
		root := t.TempDir()
		writeFiles(t, root, map[string]string{"memory/cgroup.procs": "", "pids/cgroup.procs": ""})
		h := ProbeCgroups(root)
		if !h.Usable() || h.Version != 1 {
			t.Fatalf("probe: %s", h)
		}
		g, err := h.runnerGroup("acecoder-1-1")
		if err != nil {
			t.Fatal(err)
		}
		w, err := g.child("w0", 1<<30, 12)
		if err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, filepath.Join(root, "memory/acecoder-1-1/w0/memory.limit_in_bytes")); got != strconv.Itoa(1<<30) {
			t.Errorf("memory.limit_in_bytes = %s", got)
		}
		if got := readFile(t, filepath.Join(root, "pids/acecoder-1-1/w0/pids.max")); got != "12" {
			t.Errorf("pids.max = %s", got)
		}
		writeFiles(t, root, map[string]string{"memory/acecoder-1-1/w0/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"})
		if n := w.oomKills(); n != 3 {
			t.Errorf("oomKills = %d, want 3", n)
		}
	})
	t.Run("stale groups of dead runners go", func(t *testing.T) {
		root := t.TempDir()
		cmd := exec.Command("true")
		if err := cmd.Run(); err != nil {
			t.Skip(err)
		}
		dead := "acecoder-" + strconv.Itoa(cmd.Process.Pid) + "-1" // reaped: no such process now
		alive := "acecoder-" + strconv.Itoa(os.Getpid()) + "-9"
		for _, d := range []string{dead + "/w0", dead + "/w1", alive + "/w0"} {
			os.MkdirAll(filepath.Join(root, "memory", d), 0o755)
		}
		writeFiles(t, root, map[string]string{"memory/cgroup.procs": "", "pids/cgroup.procs": ""})
		ProbeCgroups(root).removeStale()
		if _, err := os.Stat(filepath.Join(root, "memory", dead)); !os.IsNotExist(err) {
			t.Errorf("the dead runner's group is still there (%v)", err)
		}
		if _, err := os.Stat(filepath.Join(root, "memory", alive, "w0")); err != nil {
			t.Errorf("a live runner's group was removed: %v", err)
		}
	})
}

// cgroup2Mount finds a cgroup2 mount: /sys/fs/cgroup on a unified host,
// /sys/fs/cgroup/unified on a hybrid one.
func cgroup2Mount() string {
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(p, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return p
		}
	}
	return ""
}

// TestCgroupV2RealHierarchy runs the v2 code on the kernel's unified
// hierarchy: a group and a worker group are created, a real process is
// moved in, cgroup.kill kills it, and the groups are removed. Where the
// hierarchy offers the memory and pids controllers the limits are set and
// read back too; on a hybrid host (this project's test machine: memory and
// pids are bound to v1) only the controller-independent part runs.
func TestCgroupV2RealHierarchy(t *testing.T) {
	mount := cgroup2Mount()
	if mount == "" || os.Geteuid() != 0 {
		t.Skip("needs root and a cgroup2 mount")
	}
	h := probeV2(mount)
	tag := "acecoder-" + strconv.Itoa(os.Getpid()) + "-test"
	var g, w *cgroupSet
	var err error
	if h.Usable() {
		if g, err = h.runnerGroup(tag); err != nil {
			t.Fatal(err)
		}
		if w, err = g.child("w0", 300<<20, 9); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, w.file("memory.max")); got != strconv.Itoa(300<<20) {
			t.Errorf("memory.max = %s", got)
		}
		if got := readFile(t, w.file("pids.max")); got != "9" {
			t.Errorf("pids.max = %s", got)
		}
	} else {
		t.Logf("%s: %s; testing groups, moving, cgroup.kill and removal without limits", mount, h.Reason)
		g = &cgroupSet{version: 2, dirs: []string{filepath.Join(mount, tag)}}
		w = &cgroupSet{version: 2, dirs: []string{filepath.Join(mount, tag, "w0")}}
		for _, d := range []string{g.dirs[0], w.dirs[0]} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer g.remove()
	defer w.remove()
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sleeper.Wait() }()
	if err := w.add(sleeper.Process.Pid); err != nil {
		sleeper.Process.Kill()
		t.Fatal(err)
	}
	if got := readFile(t, w.file("cgroup.procs")); got != strconv.Itoa(sleeper.Process.Pid) {
		t.Errorf("cgroup.procs = %q", got)
	}
	w.kill()
	select {
	case err := <-done:
		if ws, ok := sleeper.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Errorf("the process ended with %v, want SIGKILL from cgroup.kill", err)
		}
	case <-time.After(5 * time.Second):
		sleeper.Process.Kill()
		t.Fatal("cgroup.kill did not kill the process")
	}
	w.remove()
	g.remove()
	for _, d := range append(w.dirs, g.dirs...) {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s not removed", d)
		}
	}
}

// TestOutOfMemoryVerdict: a program whose processes together pass the
// worker's cgroup memory limit is killed by the kernel's OOM killer, and
// the verdict says so (the count comes from memory.events on v2 and
// memory.oom_control on v1).
func TestOutOfMemoryVerdict(t *testing.T) {
	// 300 MiB per process (RLIMIT_AS); the cgroup allows 2×300+256 MiB.
	r := newTestRunner(t, RunnerOptions{Workers: 1, Timeout: 20 * time.Second, MemoryBytes: 300 << 20})
	if r.iso.cgroups == nil {
		t.Skip("cgroups not in force here (needs root and memory/pids controllers)")
	}
	// Eight helpers hold 90 MiB each; once they all have, the program
	// grows to 230 MiB, the largest process when the group passes its
	// limit, so the OOM killer picks it.
	program := "import os, time\ndef f():\n    r, w = os.pipe()\n" +
		"    for _ in range(8):\n        if os.fork() == 0:\n            b = b'h' * (90 << 20)\n            os.write(w, b'.')\n            time.sleep(60)\n            os._exit(0)\n" +
		"    got = 0\n    while got < 8:\n        got += len(os.read(r, 8))\n" +
		"    big = b'm' * (230 << 20)\n    return len(big)\n"
	res, err := r.Do(context.Background(), Job{Program: program, Tests: []string{"assert f() == 1", "assert 1 + 1 == 2"}})
	if err != nil {
		t.Fatal(err)
	}
	v := res.Tests[0]
	if v.Status != StatusCrash || !strings.Contains(v.Reason, "out of memory") {
		t.Errorf("verdict %s (%s), want a crash for out of memory", v.Status, v.Reason)
	}
	t.Logf("verdict: %s (%s)", v.Status, v.Reason)
	if res.Tests[1].Status != StatusPass {
		t.Errorf("the next test: %+v, want pass in a fresh child", res.Tests[1])
	}
	assertPoolIntact(t, r)
}
