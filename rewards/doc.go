// Package rewards turns programs into rewards: the Scorer interface, the
// sandboxed parallel Python test runner behind the rule rewards (pass rate or
// all-pass), and reward-model scoring.
//
// # Rule rewards
//
// A Runner executes Jobs (a program plus `assert` tests, or the HumanEval
// fields prompt/completion/test/entry_point) and returns one Verdict per
// test: pass, fail, error, timeout, crash or skipped, with a short reason.
// RuleReward turns a Result into pass_rate (passed/total, as AceCoder's
// scripts compute it; the default) or binary (1 iff all pass, as the paper
// states). Package extract pulls the program out of a completion. Run takes
// a batch; Stream takes jobs on a channel and returns results as they
// finish, for trainers that score samples while generation continues.
// NewRewardHandler serves the rewards over HTTP: OpenRLHF's labelled remote
// reward format, the AceCoder fork's query-only format (tests found by the
// hash of the question parsed out of each rendered query, query.go), or a
// reward model's scores.
//
// # Test styles
//
// A Job is in one of five modes (Job's comment; Validate rejects a job
// that mixes them, naming its ID and the fields):
//
//   - asserts: Program, Tests (and Setup).
//   - HumanEval: Prompt+Completion or Program, Test, EntryPoint.
//   - value cases (EvalPlus): Program or Prompt+Completion, EntryPoint,
//     Calls ([]json.RawMessage, each a JSON array of positional
//     arguments), Expected ([]json.RawMessage, one per call) and Atol.
//     Runner.Outputs(ctx, job) runs a program (the canonical solution) on
//     the calls and returns one CallOutput per call; the Value of each is
//     what goes into Expected. A job with Outputs set does the same through
//     Do, acecoder exec or the queue (Result.Values).
//   - stdin/stdout: Program, IO ([]IOCase{Input, Output}).
//   - unittest (BigCodeBench): Program, UnitTest (the test module); each
//     verdict's Name is Class.method.
//
// # Architecture
//
// NewRunner starts one long-lived Python worker per CPU (`python -I -S`,
// absolute interpreter path, empty environment) and one trusted analyzer
// process. A test of the form `assert <expr> == <literal>` (either side)
// is split into the expression, which is sent to the sandbox, and the
// literal, which stays in Go; any other test runs inside and its verdict
// carries Inside=true. One-line tests of that form are split in Go
// (quickAnalyse, which answers only where it agrees with the analyzer);
// the rest go to the analyzer, which only parses them with Python's ast
// (it never runs them). HumanEval check functions made only of asserts are
// split into one test per assert that uses the candidate; other check
// bodies run as the single test `check(candidate)`. The analyzer also
// lists a unittest module's test methods (module-level classes deriving
// from a name ending in TestCase, their test* methods, inherited ones
// included, sorted per class as unittest's loader sorts them).
//
// Value cases: each call is one test; the zygote decodes the arguments
// once and the child deep-copies them (with the built-in types bound
// before the program ran) before each call, then sends the returned value
// in the serialisation below; Go compares it with the expected value
// (valueMatch: EvalPlus's rules), which never enters the sandbox. Outputs
// runs the canonical solution the same way, so expected and actual values
// travel identically (a tuple stays a tuple).
//
// stdin/stdout cases: one child per case; the child puts the case's input
// in a memfd on fd 0 and a pipe of the worker's on fd 1 (stderr stays with
// Result.Output), runs the program as __main__ and writes a record when it
// ended (returned, or SystemExit with code 0 or None). The worker keeps up
// to stdoutCap bytes of stdout (a case that prints more fails at once) and
// Go compares them with the expected output (outputMatch), which never
// enters the sandbox. A child that exits without the record (os._exit) is
// a crash.
//
// HumanEval and unittest modules: the child runs the test module first, in
// its own namespace (a dict whose missing names are looked up in the
// program's namespace, except the builtins' names), with a private copy of
// the builtins, before any program code: its imports and base classes are
// the genuine ones. The HumanEval candidate (bound as candidate, as check's
// parameter and under the entry point's name) returns a rebuilt copy of
// the program's result made of exact built-in types only, so a custom
// __eq__ or subclass raises instead of comparing. unittest methods run one
// at a time without unittest's runner or result classes: setUpModule and
// setUpClass once, then setUp, the method, tearDown and the cleanups; the
// harness decides the verdict from the exception (SkipTest: skipped,
// AssertionError: fail, anything else: error; expectedFailure inverts a
// failure into a pass). Classes, methods and their expectedFailure flags
// are looked up before the program runs. A guard compares, before and
// after every test, what the tests rely on with snapshots taken before the
// program ran: the builtins copy, the test namespace's bindings and the
// functions of the modules it imported (HumanEval), unittest.case and
// unittest.util with every class's attributes, the test classes' methods
// and the test case's equality functions (unittest), each function by its
// code, defaults and closure; a difference makes the test an error naming
// what changed.
//
// Each worker forks, before it reads any job, a zygote; the zygote imports
// the standard-library modules programs import most (DefaultPreload:
// typing, math, itertools, collections, re, ...), then forks one child per
// program, so children are copies of a process that never held another
// job's data (the program reaches each child on its own pipe after the
// fork) and find those modules loaded; a program that changes a module
// changes its own copy-on-write copy only. The child enters the sandbox,
// runs the program, then the tests in order, and writes one record per
// test on a pipe (after flushing what the program printed). The value of
// an `==` test travels as a strict serialisation of exact built-in types
// (bool, int, float, complex, str, bytes, None, list, tuple, dict, set,
// frozenset; bounded size and depth), plus the standard-library containers
// whose == against a literal is a built-in one: collections.Counter,
// defaultdict and OrderedDict as dicts, tuple subclasses that inherit
// tuple's __eq__ (named tuples) as tuples, deques as deques (equal to no
// literal). Their contents are read with the built-in types' own methods;
// a subclass with its own __eq__, a custom metaclass or a patched method
// never takes part. The value is compared with the literal in Go using
// Python's equality rules for those types (pyEqual); all 2,922 MBPP
// reference tests get the verdict a fresh python3 gives
// (TestMBPPVerdictsMatchFreshPython). The worker accepts records
// only in sequence; a test with no record within the per-test timeout is a
// timeout, a child that dies is a crash; in both cases the worker kills
// every process of the sandbox and forks a fresh child for the remaining
// tests. A program that fails to load gives every test an error. When the
// per-program budget (default timeout × (tests+1)) is spent the remaining
// tests are skipped. If a worker does not answer within the budget plus a
// grace period, Go kills its process group (its PID namespace: every
// process in it) and restarts it; a worker that dies is restarted too.
//
// # What the sandbox does (as root; see Protections)
//
//   - Network: each worker is in a new network namespace (only a down
//     loopback), and the seccomp filter refuses socket, socketpair,
//     connect, bind, listen and accept (EPERM), so neither loopback nor
//     Unix sockets of the host are reachable.
//   - Filesystem: a private mount namespace whose root is a fresh tmpfs
//     holding read-only, nosuid, nodev bind mounts of /usr, /lib*, /bin,
//     /sbin (and the interpreter's prefix), /dev/{null,zero,full,random,
//     urandom}, a /proc of the worker's PID namespace mounted hidepid=2,
//     and /tmp: a tmpfs capped in size and inodes, the working directory,
//     emptied after every child. /home, /root, /etc, /work, the host /tmp
//     and everything else are absent.
//   - Identity: children run as uid/gid BaseUID+worker (no supplementary
//     groups), so they cannot signal or ptrace the root-owned worker and
//     zygote nor read their /proc entries or memory, and RLIMIT_NPROC
//     counts per worker. Runners in one host share these uids (and so the
//     RLIMIT_NPROC budget) unless given distinct BaseUIDs.
//   - Memory: a child is a copy of the zygote, not of the worker, so it
//     cannot find other programs' text or values in its own address space.
//   - rlimits: address space (MemoryBytes), processes (MaxProcs), file
//     size (MaxFileBytes), open files and no core dumps are set once on the
//     worker and inherited by every child; CPU seconds ((tests+1) ×
//     timeout) are set per child.
//   - seccomp (attached once to the worker after it built its root, with
//     no_new_privs, and inherited by every child; a filter per
//     architecture, amd64 or arm64, chosen at build time; calls of another
//     architecture kill the process, amd64's x32 calls get ENOSYS; on any
//     other architecture the runner runs without seccomp and says so):
//     sockets as above; unshare, setns and clone with namespace flags
//     (user namespaces would hand capabilities back); clone3 answers
//     ENOSYS so libc falls back to the filtered clone; ptrace,
//     process_vm_readv/writev; mount, umount, pivot_root, chroot and the
//     new mount API; bpf, perf_event_open, keyrings, userfaultfd, module
//     and kexec loading, reboot, swap, clock and hostname changes,
//     personality, open_by_handle_at.
//   - cgroups: each worker and its children share a group with a memory
//     limit of 2 × MemoryBytes + 256 MiB (no swap) and a pids limit of
//     MaxProcs + 8: on the unified hierarchy (cgroup v2: memory.max,
//     memory.swap.max, pids.max) when /sys/fs/cgroup is cgroup2 with those
//     controllers, else on v1 memory and pids mounts. Workers are immune to
//     the OOM killer, the zygote and children are not; a crash during which
//     the group counted an OOM kill (memory.events, v1 memory.oom_control)
//     gets "out of memory" in its reason. On v2, cgroup.kill ends every
//     process of a worker's group when the worker is stopped. A runner
//     removes the groups of runners that were killed (TestCgroupFakeTrees,
//     TestCgroupV2RealHierarchy, TestOutOfMemoryVerdict).
//   - Kill-all: after every child the worker (PID 1 of the namespace)
//     sends kill(-1, SIGKILL) with the sandbox uid as its real and effective
//     uid, which reaches every sandboxed process (double-forked daemons and
//     setsid escapes included; no_new_privs keeps setuid programs from
//     changing uid) but not the root zygote, then reaps the orphans and
//     waits until no process but itself and the zygote is left.
//   - Lifetime: workers get SIGKILL when the runner's process dies
//     (parent-death signal, re-armed after each kill-all's uid switch,
//     which clears it), and the namespace dies with its PID 1; a
//     SIGKILLed runner leaves nothing running (TestWorkersDieWithTheirParent).
//   - I/O: stdin is /dev/null; stdout and stderr go to a pipe of which the
//     first OutputBytes are kept (Result.Output) and the rest discarded.
//     Output, exit codes and files never feed a verdict, except in
//     stdin/stdout cases, where stdin is the case's input and stdout a
//     pipe of its own, compared with the expected output in Go.
//
// # What it does NOT protect against
//
//   - Kernel exploits. The sandbox shares the host kernel; a kernel bug
//     reachable through the allowed syscalls can escape it. It is not a VM.
//   - Tests that run inside (Verdict.Inside: asserts other than
//     `assert <expr> == <literal>`, whole HumanEval checks, unittest
//     methods): their pass/fail is decided in the child, with the expected
//     values in its memory, so a program that reads them (the check's code
//     constants through its frames) or hooks its own interpreter (patches
//     the harness's functions or closures, sys.settrace, ctypes, forged
//     records) can fake their outcome; the guard above stops only the
//     plain patches (builtins, modules, unittest's TestCase, the test
//     namespace). In unittest modules a result with a custom __eq__ can
//     fool assertEqual, as under BigCodeBench's own harness, and the
//     functions of libraries other than unittest that the tests call (a
//     numpy assert) are not guarded, since tests mock them. Only
//     `assert <expr> == <literal>` tests, value cases and stdin/stdout
//     cases are immune, because the expected value never enters the
//     sandbox.
//   - HumanEval helpers: a check that calls a helper the prompt defines
//     (HumanEval/32's poly) calls the program's version, which the
//     completion may redefine, as in the official harness.
//   - stdin/stdout cases compare text: outputs that need a checker (float
//     tolerance, several right answers) fail unless printed exactly.
//   - Guessing: a program that hard-codes expected outputs it can infer
//     from the question passes legitimately as far as the runner knows.
//   - Side channels and resource contention: CPU time, memory bandwidth
//     and timing are shared; a program can slow its neighbours down until
//     it is killed. Time limits are wall-clock (per test, checked on a
//     tick of at most 0.25 s) plus the RLIMIT_CPU cap.
//   - Reading what is mounted: the system directories above are readable.
//     Secrets must not live under /usr or /lib.
//   - Equality outside Python: float NaN inside a container compares
//     unequal to itself (Python's identity shortcut does not exist for
//     serialised values), and only the types above can be compared (a
//     dict subclass of the program's, Fraction or Decimal fail where Python
//     might say equal).
//
// Without root, NewRunner logs a warning per missing protection and runs
// with rlimits, seccomp (no_new_privs needs no privilege) and process-group
// kills only; RequireIsolation turns that into an error, and tests that
// need a protection skip with the reason. Protections lists what is in
// force; Host reports what this host offers without starting a runner
// (acecoder doctor prints it).
//
// # Metrics
//
// acecoder bench exec (package benchexec) runs acecoder exec beside an
// AceCoder-style harness on a mixed workload of HumanEval, MBPP and
// generated programs; go test -bench BenchmarkExec (and acecoder bench exec
// --synthetic) reports programs/s, tests/s, pass-rate and CPU ms per
// program of the workers, the analyzer and the Go process on the old
// synthetic workload.
package rewards
