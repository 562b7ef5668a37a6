package rewards

import (
	"encoding/binary"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// runFilter runs a filter on one system call in x/net/bpf's interpreter.
// The interpreter loads words big-endian, so seccomp_data is laid out
// that way: nr, arch, instruction pointer, then the arguments, each 64-bit
// argument with its low half first as on a little-endian host.
func runFilter(t *testing.T, vm *bpf.VM, nr, audit uint32, arg0 uint64) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.BigEndian.PutUint32(data[0:], nr)
	binary.BigEndian.PutUint32(data[4:], audit)
	binary.BigEndian.PutUint32(data[16:], uint32(arg0))
	binary.BigEndian.PutUint32(data[20:], uint32(arg0>>32))
	out, err := vm.Run(data)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(out)
}

// TestSeccompFilters checks both architectures' filters in a BPF
// interpreter (the native one also runs for real in TestAdversarial).
func TestSeccompFilters(t *testing.T) {
	for _, goarch := range []string{"amd64", "arm64"} {
		t.Run(goarch, func(t *testing.T) {
			a := seccompArches[goarch]
			prog, err := seccompProgram(a)
			if err != nil {
				t.Fatal(err)
			}
			vm, err := bpf.NewVM(prog)
			if err != nil {
				t.Fatal(err)
			}
			nr := func(name string) uint32 {
				n, ok := a.info.SyscallNames[name]
				if !ok {
					t.Fatalf("%s has no %s", goarch, name)
				}
				return uint32(n)
			}
			other := map[string]uint32{"amd64": unix.AUDIT_ARCH_AARCH64, "arm64": unix.AUDIT_ARCH_X86_64}[goarch]
			tests := []struct {
				name  string
				nr    uint32
				audit uint32
				arg0  uint64
				want  uint32
			}{
				{"read", nr("read"), a.audit, 0, retAllow},
				{"socket", nr("socket"), a.audit, 0, retErrno | uint32(unix.EPERM)},
				{"unshare", nr("unshare"), a.audit, unix.CLONE_NEWUSER, retErrno | uint32(unix.EPERM)},
				{"clone with a user namespace", nr("clone"), a.audit, unix.CLONE_NEWUSER | uint64(unix.SIGCHLD), retErrno | uint32(unix.EPERM)},
				{"clone with a network namespace", nr("clone"), a.audit, unix.CLONE_NEWNET, retErrno | uint32(unix.EPERM)},
				{"plain clone (fork)", nr("clone"), a.audit, uint64(unix.SIGCHLD), retAllow},
				{"thread clone", nr("clone"), a.audit, unix.CLONE_VM | unix.CLONE_THREAD | unix.CLONE_SIGHAND, retAllow},
				{"clone3", nr("clone3"), a.audit, 0, retErrno | uint32(unix.ENOSYS)},
				{"another architecture's read", nr("read"), other, 0, retKillProcess},
				{"another architecture's socket", nr("socket"), other, 0, retKillProcess},
			}
			if a.x32 {
				tests = append(tests, struct {
					name  string
					nr    uint32
					audit uint32
					arg0  uint64
					want  uint32
				}{"x32 socket", x32SyscallBit | 41, a.audit, 0, retErrno | uint32(unix.ENOSYS)})
			}
			for _, name := range deniedSyscalls {
				if n, ok := a.info.SyscallNames[name]; ok {
					tests = append(tests, struct {
						name  string
						nr    uint32
						audit uint32
						arg0  uint64
						want  uint32
					}{"denied " + name, uint32(n), a.audit, 0, retErrno | uint32(unix.EPERM)})
				}
			}
			for _, tc := range tests {
				if got := runFilter(t, vm, tc.nr, tc.audit, tc.arg0); got != tc.want {
					t.Errorf("%s: action %#x, want %#x", tc.name, got, tc.want)
				}
			}
		})
	}
}

// TestSeccompNative: the filter for this build assembles (or, on an
// architecture without one, seccompFilter says so instead of killing
// every call).
func TestSeccompNative(t *testing.T) {
	f, err := seccompFilter()
	if nativeSeccomp == "" {
		if err == nil {
			t.Fatal("no filter for this architecture, yet seccompFilter returned one")
		}
		return
	}
	if err != nil || len(f)%8 != 0 || len(f) == 0 {
		t.Fatalf("filter of %d bytes, %v", len(f), err)
	}
}
