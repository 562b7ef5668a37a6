package rewards

import "syscall"

// Protection names, as reported by (*Runner).Protections.
const (
	ProtNamespaces = "namespaces" // network, mount, PID, IPC, UTS namespaces per worker
	ProtReadOnly   = "readonly-root"
	ProtUID        = "uid"     // unprivileged uid per worker
	ProtSeccomp    = "seccomp" // syscall filter per child
	ProtRlimits    = "rlimits"
	ProtCgroups    = "cgroups" // memory + pids limits per worker (cgroup v2, or v1)
	ProtKillAll    = "kill-all"
)

// isolation is what the runner could put in force on this host.
type isolation struct {
	namespaces bool // also implies read-only root, uid switch, kill-all
	seccomp    []byte
	cgroupHost CgroupHost
	cgroups    *cgroupSet // this runner's group; nil without cgroups
}

func (iso isolation) protections() []string {
	out := []string{ProtRlimits}
	if iso.namespaces {
		out = append(out, ProtNamespaces, ProtReadOnly, ProtUID, ProtKillAll)
	}
	if iso.seccomp != nil {
		out = append(out, ProtSeccomp)
	}
	if iso.cgroups != nil {
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
