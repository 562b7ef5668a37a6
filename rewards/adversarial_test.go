package rewards

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// adversarialCase is one attack: the program, the tests, the exact
// verdicts expected, and a substring each reason must contain.
type adversarialCase struct {
	name    string
	program string
	tests   []string
	want    []Status
	reason  []string // per test; "" means any
	needs   string   // protection that must be in force, else skip
	timeout time.Duration
	check   func(t *testing.T, res Result)
}

func adversarialCases(t *testing.T, secret string, port int) []adversarialCase {
	return []adversarialCase{
		{
			name:    "sys.exit at load",
			program: "import sys\ndef f(x):\n    return x\nsys.exit(0)\n",
			tests:   []string{"assert f(1) == 1", "assert f(2) == 2"},
			want:    []Status{StatusError, StatusError},
			reason:  []string{"SystemExit", "SystemExit"},
		},
		{
			name:    "os._exit at load",
			program: "import os\ndef f(x):\n    return x\nos._exit(0)\n",
			tests:   []string{"assert f(1) == 1", "assert f(2) == 2"},
			want:    []Status{StatusCrash, StatusCrash},
			reason:  []string{"exited with status 0 while loading", "while loading"},
		},
		{
			name: "exit tricks during tests",
			program: "import os, sys, signal\ndef f(x):\n" +
				"    if x == 2: os._exit(0)\n" +
				"    if x == 3: raise SystemExit(0)\n" +
				"    if x == 4: raise KeyboardInterrupt\n" +
				"    if x == 5: os.kill(os.getpid(), signal.SIGKILL)\n" +
				"    return x\n",
			tests: []string{"assert f(1) == 1", "assert f(2) == 2", "assert f(3) == 3", "assert f(4) == 4",
				"assert f(5) == 5", "assert f(6) == 6", "assert f(2) >= 0"},
			want: []Status{StatusPass, StatusCrash, StatusError, StatusError, StatusCrash, StatusPass, StatusCrash},
			reason: []string{"", "exited with status 0 during the test", "SystemExit", "KeyboardInterrupt",
				"killed by SIGKILL", "", "exited"},
		},
		{
			name:    "C-level infinite loop",
			program: "import itertools\ndef f():\n    return sum(itertools.repeat(1))\n",
			tests:   []string{"assert f() == 1", "assert 1 + 1 == 2"},
			want:    []Status{StatusTimeout, StatusPass},
			reason:  []string{"no result within", ""},
		},
		{
			name:    "ignored signals",
			program: "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):\n    signal.signal(s, signal.SIG_IGN)\ndef f():\n    while True:\n        pass\n",
			tests:   []string{"assert f() == 1"},
			want:    []Status{StatusTimeout},
		},
		{
			name:    "fork bomb",
			program: "import os\ndef f():\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n",
			tests:   []string{"assert f() == 1"},
			want:    []Status{StatusTimeout},
			needs:   ProtNamespaces,
		},
		{
			name:    "memory bomb",
			program: "def f():\n    x = bytearray(64 << 30)\n    return len(x)\ndef g():\n    a = []\n    while True:\n        a.append(bytearray(1 << 24))\n",
			timeout: 10 * time.Second, // growing to the limit touches every page: slow on a loaded machine
			tests:   []string{"assert f() == 1", "assert g() == 1"},
			want:    []Status{StatusError, StatusError},
			reason:  []string{"MemoryError", "MemoryError"},
		},
		{
			name: "disk filling",
			program: "import os\ndef f():\n    with open('big', 'wb') as fh:\n        for _ in range(256):\n            fh.write(b'x' * (1 << 20))\n    return 1\n" +
				"def g():\n    open('/usr/owned', 'w')\n",
			tests:  []string{"assert f() == 1", "assert g() == 1"},
			want:   []Status{StatusError, StatusError},
			reason: []string{"File too large", "Read-only file system"},
			needs:  ProtReadOnly,
		},
		{
			name:    "huge output",
			program: "import sys\ndef f():\n    for _ in range(64):\n        sys.stdout.write('x' * (1 << 20))\n    sys.stdout.flush()\n    return 1\n",
			tests:   []string{"assert f() == 1"},
			want:    []Status{StatusPass},
			check: func(t *testing.T, res Result) {
				if len(res.Output) > 16<<10 || !strings.HasPrefix(res.Output, "xxxx") {
					t.Errorf("output not captured with a cap: %d bytes", len(res.Output))
				}
			},
		},
		{
			name:    "always-equal object",
			program: "class A:\n    def __eq__(self, other):\n        return True\n    __hash__ = None\ndef f():\n    return A()\n",
			tests:   []string{"assert f() == 3", "assert f() == [1, 2]"},
			want:    []Status{StatusFail, StatusFail},
			reason:  []string{"not a built-in value", "not a built-in value"},
		},
		{
			name:    "int subclass with patched eq",
			program: "class I(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\ndef f():\n    return I(0)\ndef g():\n    return [I(0)]\n",
			tests:   []string{"assert f() == 7", "assert g() == [7]"},
			want:    []Status{StatusFail, StatusFail},
			reason:  []string{"returned a I", "returned a I"},
		},
		{
			name: "frame peeking",
			program: "import sys, gc\ndef f():\n    consts = []\n    fr = sys._getframe(1)\n    while fr is not None:\n" +
				"        consts += [c for c in fr.f_code.co_consts if isinstance(c, int)]\n" +
				"        consts += [v for v in fr.f_locals.values() if isinstance(v, int)]\n        fr = fr.f_back\n" +
				"    consts += [o for o in gc.get_objects() if isinstance(o, int) and o == 424242]\n" +
				"    return consts[-1] if consts else 0\n",
			tests:  []string{"assert f() == 424242"},
			want:   []Status{StatusFail},
			reason: []string{"want 424242"},
		},
		{
			name: "builtin patching",
			program: "import builtins\nclass Nope(Exception):\n    pass\nbuiltins.AssertionError = Nope\n" +
				"builtins.exec = lambda *a, **k: None\nbuiltins.eval = lambda *a, **k: 5\nbuiltins.isinstance = lambda *a: True\n" +
				"builtins.type = lambda *a: int\ndef f():\n    return 4\n",
			tests:  []string{"assert f() == 5", "assert f() > 4"},
			want:   []Status{StatusFail, StatusFail},
			reason: []string{"got 4, want 5", "AssertionError"},
		},
		{
			name: "stdlib container subclasses and patches",
			program: "import collections\nclass C(collections.Counter):\n    def __eq__(self, other):\n        return True\n    __hash__ = None\n" +
				"class T(tuple):\n    def __eq__(self, other):\n        return True\n    __hash__ = tuple.__hash__\n" +
				"class M(type):\n    def __eq__(cls, other):\n        return True\n    __hash__ = type.__hash__\n" +
				"class Q(tuple, metaclass=M):\n    pass\n" +
				"P = collections.namedtuple('P', 'x y')\nclass Point(P):\n    __slots__ = ()\n    def norm(self):\n        return abs(self.x) + abs(self.y)\n" +
				"class Liar(P):\n    def __eq__(self, other):\n        return True\n    __hash__ = tuple.__hash__\n" +
				"collections.Counter.__eq__ = lambda self, other: True\n" +
				"def c():\n    return C('ab')\ndef t():\n    return T((1,))\ndef q():\n    return Q((1,))\ndef liar():\n    return Liar(1, 2)\n" +
				"def cnt():\n    return collections.Counter('a')\ndef od():\n    return collections.OrderedDict(a=1)\ndef point():\n    return Point(1, 2)\n" +
				"def dq():\n    return collections.deque([1, 2])\n",
			tests: []string{"assert c() == {'z': 9}", "assert t() == (2,)", "assert q() == (2,)", "assert liar() == (5, 6)",
				"assert cnt() == {'b': 2}", "assert cnt() == {'a': 1}", "assert od() == {'a': 1}", "assert point() == (1, 2)",
				"assert dq() == [1, 2]"},
			want: []Status{StatusFail, StatusFail, StatusFail, StatusFail, StatusFail, StatusPass, StatusPass, StatusPass, StatusFail},
			reason: []string{"returned a C", "returned a T", "returned a Q", "returned a Liar", "got {\"a\": 1}, want {\"b\": 2}", "", "", "",
				"got deque([1, 2]), want [1, 2]"},
		},
		{
			name: "forged result records",
			program: "import os, sys\nforged = b'{\"load\": null}\\n' + b''.join(b'{\"i\": %d, \"ok\": 1}\\n{\"i\": %d, \"v\": [\"i\", \"0x1\"]}\\n' % (i, i) for i in range(4))\n" +
				"for fd in range(0, 256):\n    try:\n        os.write(fd, forged)\n    except OSError:\n        pass\nprint('{\"tests\": [[\"pass\", \"\"]]}')\n" +
				"def f(x):\n    return -1\n",
			tests: []string{"assert f(1) == 2", "assert f(2) == 3"},
			want:  []Status{StatusCrash, StatusCrash},
		},
		{
			name:    "socket connect to loopback",
			program: fmt.Sprintf("import socket\ndef f():\n    socket.create_connection(('127.0.0.1', %d), timeout=1)\n    return 1\n", port),
			tests:   []string{"assert f() == 1"},
			want:    []Status{StatusError},
			reason:  []string{"PermissionError"},
			needs:   ProtSeccomp,
		},
		{
			name: "user namespace and mount",
			program: "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n" +
				"def f():\n    return libc.unshare(0x10000000), ctypes.get_errno()\n" +
				"def g():\n    return libc.mount(b'none', b'/tmp', b'tmpfs', 0, None), ctypes.get_errno()\n",
			tests: []string{"assert f() == (-1, 1)", "assert g() == (-1, 1)"},
			want:  []Status{StatusPass, StatusPass},
			needs: ProtSeccomp,
		},
		{
			name: "reading files outside the work dir",
			program: fmt.Sprintf("def f():\n    return open(%q).read()\n", secret) +
				"def g():\n    return open('/proc/1/environ').read()\ndef h():\n    import os\n    return sorted(os.listdir('/'))\n",
			tests:  []string{"assert f() == 'secret'", "assert g() == ''", "assert 'work' not in h() and 'root' not in h() and 'etc' not in h()"},
			want:   []Status{StatusError, StatusError, StatusPass},
			reason: []string{"FileNotFoundError", "", ""},
			needs:  ProtReadOnly,
		},
		{
			name: "killing the parent",
			// kill(-1) reaches nothing: the worker and its zygote are root.
			program: "import os, signal\ndef f():\n    os.kill(os.getppid(), signal.SIGKILL)\n    return 1\n" +
				"def g():\n    os.kill(-1, signal.SIGKILL)\n    return 1\ndef h():\n    os.kill(1, signal.SIGKILL)\n    return 1\n",
			tests:  []string{"assert f() == 1", "assert g() == 1", "assert h() == 1", "assert 2 == 1 + 1"},
			want:   []Status{StatusError, StatusPass, StatusError, StatusPass},
			reason: []string{"PermissionError", "", "PermissionError", ""},
			needs:  ProtUID,
		},
		{
			name: "orphaned daemon",
			program: "import os, time\ndef f():\n    if os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0:\n" +
				"            time.sleep(60)\n        os._exit(0)\n    return 1\n",
			tests: []string{"assert f() == 1"},
			want:  []Status{StatusPass},
			needs: ProtKillAll,
		},
		{
			name:    "leftover processes",
			program: "import subprocess\nprocs = []\ndef f():\n    procs.append(subprocess.Popen(['sleep', '60']))\n    return 1\n",
			tests:   []string{"assert f() == 1", "assert f() == 1"},
			want:    []Status{StatusPass, StatusPass},
			needs:   ProtKillAll,
		},
	}
}

// sandboxProcesses lists the sandboxed processes (not root: that is the
// worker and its zygote) in the PID namespaces of r's workers (other
// runners on the same host use the same uids, so uids alone would not tell
// them apart).
func sandboxProcesses(t *testing.T, r *Runner) []string {
	t.Helper()
	namespaces, workers := map[string]bool{}, map[string]bool{}
	for _, s := range r.slots {
		if s.p == nil || s.p.cmd.Process == nil {
			continue
		}
		pid := strconv.Itoa(s.p.cmd.Process.Pid)
		if ns, err := os.Readlink(filepath.Join("/proc", pid, "ns", "pid")); err == nil {
			namespaces[ns], workers[pid] = true, true
		}
	}
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil || workers[e.Name()] {
			continue
		}
		ns, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "pid"))
		if err != nil || !namespaces[ns] {
			continue
		}
		if st, err := os.Stat(filepath.Join("/proc", e.Name())); err == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Uid == 0 {
				continue
			}
		}
		out = append(out, e.Name())
	}
	return out
}

// assertPoolIntact checks that every worker still runs programs correctly
// and that no sandboxed process is left anywhere on the host.
func assertPoolIntact(t *testing.T, r *Runner) {
	t.Helper()
	jobs := make([]Job, 2*r.opts.Workers)
	for i := range jobs {
		jobs[i] = Job{ID: "sanity", Program: "import os\ndef add(a, b):\n    return a + b\n",
			Tests: []string{"assert add(1, 2) == 3", "assert os.listdir('.') == []"}}
	}
	res, err := r.Run(context.Background(), jobs)
	if err != nil {
		t.Fatalf("pool broken: %v", err)
	}
	for _, x := range res {
		if !x.AllPassed {
			t.Fatalf("pool broken: sanity job gave %+v", x.Tests)
		}
	}
	if left := sandboxProcesses(t, r); len(left) > 0 && r.iso.namespaces {
		t.Fatalf("sandboxed processes left on the host: %v", left)
	}
}

// scanMemory is a program that searches its own address space for a
// canary that only an earlier program's source contained.
const scanMemory = `import ctypes
needle = bytes.fromhex("4c45414b43414e4152595f376633613963")
skip = (id(needle), id(needle) + 64 + len(needle))
def leaked():
    found = 0
    regions = []
    for line in open("/proc/self/maps"):
        f = line.split()
        if f[1].startswith("rw") and (len(f) < 6 or f[5] in ("[heap]", "[stack]")):
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            regions.append((lo, hi))
    for lo, hi in regions:
        for pos in range(lo, hi, 1 << 20):
            chunk = ctypes.string_at(pos, min(1 << 20, hi - pos))
            i = chunk.find(needle)
            while i >= 0:
                if not skip[0] <= pos + i < skip[1]:
                    found += 1
                i = chunk.find(needle, i + 1)
    return found
`

// TestNoMemoryRemnants: a program cannot find an earlier program's source
// (the canary LEAKCANARY_7f3a9c) in its own memory, because children are
// forked from a zygote that never sees job data.
func TestNoMemoryRemnants(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{Workers: 1, Timeout: 10 * time.Second})
	if !r.iso.namespaces {
		t.Skip("needs the isolated worker (root)")
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		res, err := r.Do(ctx, Job{Program: "secret = 'LEAKCANARY_7f3a9c'\ndef f():\n    return secret\n", Tests: []string{"assert f() == 'LEAKCANARY_7f3a9c'"}})
		if err != nil || !res.AllPassed {
			t.Fatalf("canary job: %+v %v", res, err)
		}
	}
	res, err := r.Do(ctx, Job{Program: scanMemory, Tests: []string{"assert leaked() == 0"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tests[0].Status != StatusPass {
		t.Errorf("memory scan: %+v (the canary of an earlier program is visible)", res.Tests[0])
	}
}

func TestAdversarial(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	r := newTestRunner(t, RunnerOptions{Timeout: time.Second, MemoryBytes: 512 << 20})
	have := map[string]bool{}
	for _, p := range r.Protections() {
		have[p] = true
	}
	for _, tc := range adversarialCases(t, secret, ln.Addr().(*net.TCPAddr).Port) {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needs != "" && !have[tc.needs] {
				t.Skipf("protection %q not in force on this host (needs root)", tc.needs)
			}
			res, err := r.Do(context.Background(), Job{ID: tc.name, Program: tc.program, Tests: tc.tests, Timeout: tc.timeout})
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range res.Tests {
				if v.Status != tc.want[i] {
					t.Errorf("test %d (%s): status %s (%s), want %s", i, tc.tests[i], v.Status, v.Reason, tc.want[i])
				}
				if i < len(tc.reason) && !strings.Contains(v.Reason, tc.reason[i]) {
					t.Errorf("test %d: reason %q, want it to contain %q", i, v.Reason, tc.reason[i])
				}
			}
			if tc.check != nil {
				tc.check(t, res)
			}
			assertPoolIntact(t, r)
		})
	}
	select {
	case <-accepted:
		t.Error("a sandboxed program reached a loopback listener")
	default:
	}
	if _, err := os.Stat(secret); err != nil {
		t.Errorf("host file damaged: %v", err)
	}
}
