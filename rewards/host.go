package rewards

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// HostReport says which protections the sandbox can put in force on this
// host, found without starting a runner (acecoder doctor prints it).
type HostReport struct {
	Root       bool
	Namespaces error  // nil when new network, mount, PID, IPC and UTS namespaces can be made
	Seccomp    string // the architecture whose filter this build installs, "" for none
	SeccompErr error
	Cgroups    CgroupHost
}

// Host probes this host: it starts /bin/true in fresh namespaces (as
// root), assembles the seccomp filter and looks at /sys/fs/cgroup.
func Host() HostReport {
	h := HostReport{Root: os.Geteuid() == 0, Cgroups: ProbeCgroups("/sys/fs/cgroup")}
	h.Namespaces = probeNamespaces(h.Root)
	if _, err := seccompFilter(); err != nil {
		h.SeccompErr = err
	} else {
		h.Seccomp = nativeSeccomp
	}
	return h
}

func probeNamespaces(root bool) error {
	if !root {
		return fmt.Errorf("needs root")
	}
	truePath, err := exec.LookPath("true")
	if err != nil {
		return err
	}
	cmd := exec.Command(truePath)
	cmd.SysProcAttr = isolation{namespaces: true}.sysProcAttr()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cannot start a process in new namespaces: %w", err)
	}
	return nil
}

// Lines describes the report, one protection per line.
func (h HostReport) Lines() []string {
	yes := func(ok bool, why string) string {
		if ok {
			return "yes"
		}
		return "no (" + why + ")"
	}
	ns := "network, mount, PID, IPC, UTS: yes (so also read-only root, uid switch, kill-all)"
	if h.Namespaces != nil {
		ns = "no (" + h.Namespaces.Error() + ")"
	}
	sc := h.Seccomp + " filter"
	if h.SeccompErr != nil {
		sc = "none (" + h.SeccompErr.Error() + ")"
	}
	cg := h.Cgroups.String()
	if h.Cgroups.Usable() {
		cg += ": memory and pids limits per worker"
		if h.Cgroups.Version == 2 {
			cg += ", cgroup.kill, OOM kills from memory.events"
		} else {
			cg += ", OOM kills from memory.oom_control"
		}
	}
	return []string{
		"root:       " + yes(h.Root, "namespaces, uid switch, kill-all and cgroups need it"),
		"namespaces: " + ns,
		"seccomp:    " + sc,
		"cgroups:    " + cg,
		"rlimits:    yes",
	}
}

// String is the report on one line.
func (h HostReport) String() string {
	parts := h.Lines()
	for i, p := range parts {
		parts[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(parts, "; ")
}
