package rewards

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cgroupControllers are the controllers the runner limits workers with.
var cgroupControllers = []string{"memory", "pids"}

// CgroupHost is the cgroup hierarchy the runner can use on this host.
type CgroupHost struct {
	Version     int      // 2: the unified hierarchy; 1: v1 memory and pids mounts; 0: none usable
	Root        string   // v2: the cgroup2 mount; v1: the directory holding one mount per controller
	Controllers []string // of memory and pids, those the hierarchy offers
	Reason      string   // why the runner cannot limit workers here ("" when it can)
}

// Usable reports whether workers can get memory and pids limits.
func (h CgroupHost) Usable() bool { return h.Version > 0 && h.Reason == "" }

func (h CgroupHost) String() string {
	if h.Version == 0 {
		if h.Reason == "" {
			return "none"
		}
		return "none (" + h.Reason + ")"
	}
	s := fmt.Sprintf("v%d at %s, controllers %s", h.Version, h.Root, strings.Join(h.Controllers, ","))
	if h.Reason != "" {
		s += " (" + h.Reason + ")"
	}
	return s
}

// ProbeCgroups looks at the hierarchy mounted at root (normally
// /sys/fs/cgroup): the unified (v2) one when root is a cgroup2 mount,
// else v1 memory and pids mounts under it.
func ProbeCgroups(root string) CgroupHost {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return probeV2(root)
	}
	h := CgroupHost{Version: 1, Root: root}
	for _, c := range cgroupControllers {
		if _, err := os.Stat(filepath.Join(root, c, "cgroup.procs")); err == nil {
			h.Controllers = append(h.Controllers, c)
		}
	}
	switch {
	case len(h.Controllers) == 0:
		return CgroupHost{Reason: "no cgroup2 mount and no v1 memory or pids controller at " + root}
	case len(h.Controllers) < len(cgroupControllers):
		h.Reason = "v1 memory or pids controller not mounted"
	}
	return h
}

// probeV2 reads which controllers the unified hierarchy at root offers.
func probeV2(root string) CgroupHost {
	h := CgroupHost{Version: 2, Root: root}
	data, err := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
	if err != nil {
		h.Reason = err.Error()
		return h
	}
	for _, c := range cgroupControllers {
		if slices.Contains(strings.Fields(string(data)), c) {
			h.Controllers = append(h.Controllers, c)
		}
	}
	if len(h.Controllers) < len(cgroupControllers) {
		h.Reason = "the unified hierarchy lacks the memory or pids controller (bound to a v1 hierarchy?)"
	}
	return h
}

// cgroupSet is one group: a directory on v2, one per controller on v1.
type cgroupSet struct {
	version int
	dirs    []string // v2: [dir]; v1: [memory dir, pids dir]
}

// runnerGroup creates the runner's group (tag under each hierarchy's root)
// and, on v2, lets its children use the memory and pids controllers.
func (h CgroupHost) runnerGroup(tag string) (*cgroupSet, error) {
	if !h.Usable() {
		return nil, errors.New(h.String())
	}
	h.removeStale()
	g := &cgroupSet{version: h.Version}
	parents := []string{h.Root}
	if h.Version == 1 {
		parents = []string{filepath.Join(h.Root, "memory"), filepath.Join(h.Root, "pids")}
	}
	for _, p := range parents {
		dir := filepath.Join(p, tag)
		if err := os.Mkdir(dir, 0o755); err != nil {
			g.remove()
			return nil, fmt.Errorf("create cgroup %s: %w", dir, err)
		}
		g.dirs = append(g.dirs, dir)
	}
	if h.Version == 2 {
		enable := "+memory +pids"
		for _, dir := range []string{h.Root, g.dirs[0]} {
			if err := enableControllers(dir, enable); err != nil {
				g.remove()
				return nil, err
			}
		}
	}
	return g, nil
}

// enableControllers adds controllers to dir's cgroup.subtree_control
// unless they are there already (the root usually has them).
func enableControllers(dir, enable string) error {
	path := filepath.Join(dir, "cgroup.subtree_control")
	have, _ := os.ReadFile(path)
	missing := false
	for _, c := range cgroupControllers {
		missing = missing || !slices.Contains(strings.Fields(string(have)), c)
	}
	if !missing {
		return nil
	}
	if err := os.WriteFile(path, []byte(enable), 0o644); err != nil {
		return fmt.Errorf("enable %s in %s: %w", enable, path, err)
	}
	return nil
}

// child creates a worker's group below g with its limits: memory (no swap
// on v2) and process count.
func (g *cgroupSet) child(name string, memBytes int64, maxPids int) (*cgroupSet, error) {
	c := &cgroupSet{version: g.version}
	for _, parent := range g.dirs {
		dir := filepath.Join(parent, name)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			c.remove()
			return nil, fmt.Errorf("rewards: cgroup %s: %w", dir, err)
		}
		c.dirs = append(c.dirs, dir)
	}
	mem, pids := strconv.FormatInt(memBytes, 10), strconv.Itoa(maxPids)
	limits := [][2]string{{"memory.max", mem}, {"memory.swap.max", "0"}, {"pids.max", pids}}
	if g.version == 1 {
		limits = [][2]string{{"memory.limit_in_bytes", mem}, {"pids.max", pids}}
	}
	for _, kv := range limits {
		path := c.file(kv[0])
		if kv[0] == "memory.swap.max" {
			if _, err := os.Stat(path); err != nil {
				continue // no swap accounting on this kernel
			}
		}
		if err := os.WriteFile(path, []byte(kv[1]), 0o644); err != nil {
			c.remove()
			return nil, fmt.Errorf("rewards: cgroup %s: %w", path, err)
		}
	}
	return c, nil
}

// file is the path of a control file (v1: in its controller's directory).
func (g *cgroupSet) file(name string) string {
	if g.version == 1 && strings.HasPrefix(name, "pids.") {
		return filepath.Join(g.dirs[1], name)
	}
	return filepath.Join(g.dirs[0], name)
}

// add moves a process into the group.
func (g *cgroupSet) add(pid int) error {
	for _, dir := range g.dirs {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("rewards: cgroup %s: %w", dir, err)
		}
	}
	return nil
}

// kill sends SIGKILL to every process in the group (v2 cgroup.kill; v1
// has none, and the PID namespace's end does the same there).
func (g *cgroupSet) kill() {
	if g != nil && g.version == 2 {
		_ = os.WriteFile(g.file("cgroup.kill"), []byte("1"), 0o644)
	}
}

// oomKills counts the processes the kernel's out-of-memory killer has
// killed in the group (v2 memory.events, v1 memory.oom_control; -1 when
// the kernel does not say).
func (g *cgroupSet) oomKills() int64 {
	if g == nil {
		return -1
	}
	name := "memory.events"
	if g.version == 1 {
		name = "memory.oom_control"
	}
	f, err := os.Open(g.file(name))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// remove removes the group's directories once their processes are gone
// (the kernel may take a moment to release a dead task).
func (g *cgroupSet) remove() {
	if g == nil {
		return
	}
	for _, dir := range g.dirs {
		for try := 0; try < 50; try++ {
			if err := os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

var staleTag = regexp.MustCompile(`^acecoder-(\d+)-\d+$`)

// removeStale removes the groups of runners whose process is gone (a
// runner killed with SIGKILL cannot remove its own).
func (h CgroupHost) removeStale() {
	parents := []string{h.Root}
	if h.Version == 1 {
		parents = []string{filepath.Join(h.Root, "memory"), filepath.Join(h.Root, "pids")}
	}
	for _, p := range parents {
		entries, _ := os.ReadDir(p)
		for _, e := range entries {
			m := staleTag.FindStringSubmatch(e.Name())
			if m == nil || !e.IsDir() {
				continue
			}
			pid, _ := strconv.Atoi(m[1])
			if syscall.Kill(pid, 0) != syscall.ESRCH {
				continue // alive (or not ours to judge)
			}
			dir := filepath.Join(p, e.Name())
			kids, _ := os.ReadDir(dir)
			for _, k := range kids {
				if k.IsDir() {
					os.Remove(filepath.Join(dir, k.Name()))
				}
			}
			os.Remove(dir)
		}
	}
}
