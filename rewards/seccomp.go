package rewards

import (
	"encoding/binary"
	"fmt"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// deniedSyscalls fail with EPERM inside the sandbox: networking (every
// socket family, so also loopback and Unix sockets to host services),
// namespaces (user namespaces would give the program capabilities back),
// tracing and reading other processes' memory, mounting, kernel keyrings,
// BPF, module loading and other host-level operations.
var deniedSyscalls = []string{
	"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
	"unshare", "setns", "ptrace", "process_vm_readv", "process_vm_writev",
	"mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen",
	"fsmount", "fsconfig", "fspick", "mount_setattr",
	"bpf", "perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd",
	"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"reboot", "swapon", "swapoff", "syslog", "acct", "quotactl", "settimeofday",
	"clock_settime", "adjtimex", "sethostname", "setdomainname", "iopl", "ioperm",
	"name_to_handle_at", "open_by_handle_at", "lookup_dcookie", "personality",
}

// seccompFilter assembles the sandbox's BPF program as the raw bytes of a
// struct sock_filter array (8 bytes per instruction, host byte order),
// ready for prctl(PR_SET_SECCOMP). Syscalls from a foreign architecture
// (e.g. int 0x80 on x86-64) kill the process, so the list cannot be
// bypassed through another ABI.
func seccompFilter() ([]byte, error) {
	newUser := seccomp.NameWithConditions{Name: "clone", Conditions: seccomp.ArgumentConditions{
		{Argument: 0, Operation: seccomp.BitsSet, Value: unix.CLONE_NEWUSER | unix.CLONE_NEWNET | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWCGROUP},
	}}
	policy := seccomp.Policy{
		DefaultAction: seccomp.ActionAllow,
		Syscalls: []seccomp.SyscallGroup{
			{Names: deniedSyscalls, NamesWithCondtions: []seccomp.NameWithConditions{newUser}, Action: seccomp.ActionErrno},
			// clone3 passes its flags in memory, which BPF cannot read: make
			// it unavailable so libc falls back to clone, filtered above.
			{Names: []string{"clone3"}, Action: seccomp.ActionErrno | seccomp.Action(unix.ENOSYS)},
		},
	}
	body, err := policy.Assemble()
	if err != nil {
		return nil, fmt.Errorf("rewards: seccomp policy: %w", err)
	}
	guard := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4}, // seccomp_data.arch
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.AUDIT_ARCH_X86_64, SkipTrue: 1},
		bpf.RetConstant{Val: uint32(seccomp.ActionKillProcess)},
	}
	raw, err := bpf.Assemble(append(guard, body...))
	if err != nil {
		return nil, fmt.Errorf("rewards: seccomp assemble: %w", err)
	}
	out := make([]byte, 0, 8*len(raw))
	for _, ins := range raw {
		out = binary.NativeEndian.AppendUint16(out, ins.Op)
		out = append(out, ins.Jt, ins.Jf)
		out = binary.NativeEndian.AppendUint32(out, ins.K)
	}
	return out, nil
}
