package rewards

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Protection names, as reported by (*Runner).Protections.
const (
	ProtNamespaces = "namespaces" // network, mount, PID, IPC, UTS namespaces per worker
	ProtReadOnly   = "readonly-root"
	ProtUID        = "uid"     // unprivileged uid per worker
	ProtSeccomp    = "seccomp" // syscall filter per child
	ProtRlimits    = "rlimits"
	ProtCgroups    = "cgroups" // v1 memory + pids per worker
	ProtKillAll    = "kill-all"
)

// isolation is what the runner could put in force on this host.
type isolation struct {
	namespaces bool // also implies read-only root, uid switch, kill-all
	seccomp    []byte
	cgroupRoot map[string]string // controller -> dir of this runner's cgroups
}

func (iso isolation) protections() []string {
	out := []string{ProtRlimits}
	if iso.namespaces {
		out = append(out, ProtNamespaces, ProtReadOnly, ProtUID, ProtKillAll)
	}
	if iso.seccomp != nil {
		out = append(out, ProtSeccomp)
	}
	if len(iso.cgroupRoot) > 0 {
		out = append(out, ProtCgroups)
	}
	return out
}

// sysProcAttr is how a worker process is started.
func (iso isolation) sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if iso.namespaces {
		attr.Cloneflags = syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWPID |
			syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS
	}
	return attr
}

// cgroupControllers are the cgroup v1 controllers the runner uses.
var cgroupControllers = []string{"memory", "pids"}

// makeCgroupRoot creates /sys/fs/cgroup/<ctl>/acecoder-<pid>-<n> for each
// controller, or reports why it cannot.
func makeCgroupRoot(tag string) (map[string]string, error) {
	roots := map[string]string{}
	for _, ctl := range cgroupControllers {
		base := filepath.Join("/sys/fs/cgroup", ctl)
		if _, err := os.Stat(filepath.Join(base, "cgroup.procs")); err != nil {
			removeCgroups(roots)
			return nil, fmt.Errorf("cgroup v1 %s controller not mounted: %w", ctl, err)
		}
		dir := filepath.Join(base, tag)
		if err := os.Mkdir(dir, 0o755); err != nil {
			removeCgroups(roots)
			return nil, fmt.Errorf("create cgroup %s: %w", dir, err)
		}
		roots[ctl] = dir
	}
	return roots, nil
}

// workerCgroup creates the cgroups of one worker with its limits and moves
// pid into them.
func (iso isolation) workerCgroup(name string, pid int, memBytes int64, maxPids int) (map[string]string, error) {
	if len(iso.cgroupRoot) == 0 {
		return nil, nil
	}
	dirs := map[string]string{}
	settings := map[string][][2]string{
		"memory": {{"memory.limit_in_bytes", strconv.FormatInt(memBytes, 10)}},
		"pids":   {{"pids.max", strconv.Itoa(maxPids)}},
	}
	for ctl, root := range iso.cgroupRoot {
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			removeCgroups(dirs)
			return nil, fmt.Errorf("rewards: cgroup %s: %w", dir, err)
		}
		dirs[ctl] = dir
		for _, kv := range append(settings[ctl], [2]string{"cgroup.procs", strconv.Itoa(pid)}) {
			if err := os.WriteFile(filepath.Join(dir, kv[0]), []byte(kv[1]), 0o644); err != nil {
				removeCgroups(dirs)
				return nil, fmt.Errorf("rewards: cgroup %s/%s: %w", dir, kv[0], err)
			}
		}
	}
	return dirs, nil
}

// removeCgroups removes cgroup directories once their processes are gone
// (the kernel may take a moment to release a dead task).
func removeCgroups(dirs map[string]string) {
	for _, dir := range dirs {
		for try := 0; try < 50; try++ {
			if err := os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
