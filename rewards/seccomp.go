package rewards

import (
	"encoding/binary"
	"fmt"

	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// deniedSyscalls fail with EPERM inside the sandbox: networking (every
// socket family, so also loopback and Unix sockets to host services),
// namespaces (user namespaces would give the program capabilities back),
// tracing and reading other processes' memory, mounting, kernel keyrings,
// BPF, module loading and other host-level operations. Names an
// architecture does not have (iopl on arm64) are skipped there.
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

// seccompArch is what a filter needs to know about one architecture.
type seccompArch struct {
	goarch string
	audit  uint32     // AUDIT_ARCH_* in seccomp_data.arch
	info   *arch.Info // syscall numbers
	x32    bool       // amd64: the x32 ABI shares the audit arch; its numbers have bit 30 set
}

// seccompArches are the architectures with a filter. The one the binary
// runs on is chosen by build tags (seccomp_amd64.go, seccomp_arm64.go;
// seccomp_other.go: none, and the runner says so).
var seccompArches = map[string]seccompArch{
	"amd64": {goarch: "amd64", audit: unix.AUDIT_ARCH_X86_64, info: arch.X86_64, x32: true},
	"arm64": {goarch: "arm64", audit: unix.AUDIT_ARCH_AARCH64, info: arch.AARCH64},
}

// Return values of a seccomp filter.
const (
	retAllow       = 0x7fff0000 // SECCOMP_RET_ALLOW
	retErrno       = 0x00050000 // SECCOMP_RET_ERRNO | errno
	retKillProcess = 0x80000000 // SECCOMP_RET_KILL_PROCESS
	x32SyscallBit  = 0x40000000
)

// namespaceFlags are the clone flags that create namespaces.
const namespaceFlags = unix.CLONE_NEWUSER | unix.CLONE_NEWNET | unix.CLONE_NEWNS | unix.CLONE_NEWPID |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWCGROUP

// seccompFilter assembles the sandbox's BPF program for the architecture
// this binary runs on, as the raw bytes of a struct sock_filter array (8
// bytes per instruction, host byte order) ready for prctl(PR_SET_SECCOMP).
// On an architecture without a filter it returns an error: the runner then
// runs without seccomp and says so, rather than install a filter that
// would kill every system call.
func seccompFilter() ([]byte, error) {
	if nativeSeccomp == "" {
		return nil, fmt.Errorf("no seccomp filter for this architecture (%s); filters exist for amd64 and arm64", goarch)
	}
	prog, err := seccompProgram(seccompArches[nativeSeccomp])
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(prog)
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

// seccompProgram is the filter for a: a system call of another
// architecture (or, on amd64, of the x32 ABI) is refused outright (kill,
// resp. ENOSYS), so the deny list cannot be bypassed through another ABI;
// denied calls get EPERM; clone with a namespace flag gets EPERM; clone3,
// whose flags sit in memory BPF cannot read, gets ENOSYS so that libc
// falls back to clone; everything else is allowed.
func seccompProgram(a seccompArch) ([]bpf.Instruction, error) {
	nr := func(name string) (uint32, bool) {
		n, ok := a.info.SyscallNames[name]
		return uint32(n), ok
	}
	cloneNr, ok1 := nr("clone")
	clone3Nr, ok2 := nr("clone3")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("rewards: seccomp: %s syscall table lacks clone or clone3", a.goarch)
	}
	var denied []uint32
	for _, name := range deniedSyscalls {
		if n, ok := nr(name); ok {
			denied = append(denied, n)
		}
	}
	// Layout: head, one comparison per denied call, clone, clone3, allow,
	// the clone flag check, then the shared returns.
	head := []bpf.Instruction{bpf.LoadAbsolute{Off: 4, Size: 4}} // seccomp_data.arch
	body := len(denied) + 2
	// Indices (relative to the first comparison) of the shared tail; the
	// allow of calls that matched nothing is at body.
	flags, eperm, enosys, kill := body+1, body+4, body+5, body+6
	if kill+3 > 255 {
		return nil, fmt.Errorf("rewards: seccomp: %d denied calls do not fit short jumps", len(denied))
	}
	pre := []bpf.Instruction{bpf.LoadAbsolute{Off: 0, Size: 4}} // seccomp_data.nr
	if a.x32 {
		pre = append(pre, bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: x32SyscallBit, SkipTrue: uint8(enosys)})
	}
	// The arch check jumps over pre and the body to kill.
	head = append(head, bpf.JumpIf{Cond: bpf.JumpEqual, Val: a.audit, SkipFalse: uint8(len(pre) + kill)})
	prog := append(head, pre...)
	at := func(i int) uint8 { return uint8(i) } // skips are relative to the next instruction
	for i, n := range denied {
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpEqual, Val: n, SkipTrue: at(eperm - i - 1)})
	}
	prog = append(prog,
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: cloneNr, SkipTrue: at(flags - len(denied) - 1)},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: clone3Nr, SkipTrue: at(enosys - len(denied) - 2)},
		bpf.RetConstant{Val: retAllow},     // allow
		bpf.LoadAbsolute{Off: 16, Size: 4}, // flags: the low half of args[0] (little-endian)
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: namespaceFlags, SkipTrue: 1},
		bpf.RetConstant{Val: retAllow}, // clone without namespace flags
		bpf.RetConstant{Val: retErrno | uint32(unix.EPERM)},
		bpf.RetConstant{Val: retErrno | uint32(unix.ENOSYS)},
		bpf.RetConstant{Val: retKillProcess},
	)
	return prog, nil
}
