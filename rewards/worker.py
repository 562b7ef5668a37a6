"""Python side of the acecoder test runner (embedded in the Go package).

Two modes, chosen by argv[1]:

  serve    a long-lived fork server. The Go side starts it inside fresh
           network, mount, PID, IPC and UTS namespaces, so this process is
           PID 1 of its own PID namespace. It builds a read-only root once,
           then for every job forks one child per program (restarting the
           child after a test crashes or times out), and reports raw
           per-test outcomes. It never executes untrusted code itself.
  analyze  a trusted helper that only parses test code with `ast` (never
           executes it): it splits `assert <expr> == <literal>` so that the
           literal stays outside the sandbox, and splits HumanEval `check`
           functions into their asserts.

Frames on the control pipes (fd 3 in, fd 4 out) are a 4-byte big-endian
length followed by JSON. Children report on a private pipe, one JSON record
per line, strictly in order; the worker rejects anything out of sequence.
"""

import ast
import builtins
import ctypes
import fcntl
import gc
import json
import os
import resource
import select
import shutil
import signal
import sys
import time

IN_FD, OUT_FD = 3, 4


def read_exact(fd, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise EOFError("control pipe closed")
        buf += chunk
    return bytes(buf)


def read_frame():
    n = int.from_bytes(read_exact(IN_FD, 4), "big")
    return json.loads(read_exact(IN_FD, n))


def write_frame(obj):
    data = json.dumps(obj, ensure_ascii=True).encode()
    data = len(data).to_bytes(4, "big") + data
    while data:
        data = data[os.write(OUT_FD, data):]


# ---------------------------------------------------------------- values
# Strict serialisation of built-in values: exact types only (no subclasses),
# bounded depth and size. Equality is decided on the Go side.

class Unserialisable(Exception):
    pass


def make_serialiser(max_nodes, max_depth):
    _type, _str, _len, _hex, _format = type, str, len, float.hex, format
    _int, _float, _bool, _none = int, float, bool, type(None)
    _list, _tuple, _dict, _set, _fset = list, tuple, dict, set, frozenset
    _bytes, _complex, _exc = bytes, complex, Unserialisable

    def ser(v):
        budget = [max_nodes]

        def go(v, depth):
            budget[0] -= 1
            if budget[0] < 0 or depth > max_depth:
                raise _exc("value too large or too deeply nested")
            t = _type(v)
            if t is _bool:
                return ["b", v]
            if t is _int:
                return ["i", _format(v, "#x")]
            if t is _float:
                return ["f", _hex(v)]
            if t is _none:
                return ["n"]
            if t is _str:
                budget[0] -= _len(v) // 64
                try:
                    v.encode("utf-8")
                    return ["s", v]
                except UnicodeEncodeError:
                    return ["S", v.encode("utf-8", "surrogatepass").hex()]
            if t is _bytes:
                budget[0] -= _len(v) // 64
                return ["y", v.hex()]
            if t is _complex:
                return ["c", _hex(v.real), _hex(v.imag)]
            if t is _list or t is _tuple:
                return ["l" if t is _list else "t", [go(x, depth + 1) for x in v]]
            if t is _dict:
                return ["d", [[go(k, depth + 1), go(x, depth + 1)] for k, x in v.items()]]
            if t is _set or t is _fset:
                return ["e", [go(x, depth + 1) for x in v]]
            raise _exc("returned a %s, not a built-in value" % t.__name__)

        return go(v, 0)

    return ser


# ---------------------------------------------------------------- analyze

def analyze_test(src, ser):
    """Classify one test: eq (expr + expected literal), inside, or bad."""
    try:
        mod = ast.parse(src)
    except SyntaxError as e:
        return {"kind": "bad", "reason": "test does not parse: %s" % e.msg}
    if len(mod.body) == 1 and isinstance(mod.body[0], ast.Assert):
        t = mod.body[0].test
        if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.Eq):
            for expr, lit in ((t.left, t.comparators[0]), (t.comparators[0], t.left)):
                try:
                    value = ast.literal_eval(lit)
                except Exception:
                    continue
                try:
                    ast.literal_eval(expr)
                    break  # both sides literal: nothing to evaluate, run inside
                except Exception:
                    pass
                try:
                    return {"kind": "eq", "expr": ast.unparse(expr), "want": ser(value)}
                except Unserialisable:
                    break
    return {"kind": "inside", "code": src}


def uses_name(node, name):
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def split_check(test_src, entry_point):
    """Split a HumanEval test module into setup code and per-assert tests."""
    setup = test_src + "\n\ncandidate = %s\n" % entry_point
    whole = {"setup": setup, "tests": ["check(%s)" % entry_point]}
    try:
        mod = ast.parse(test_src)
    except SyntaxError:
        return whole
    checks = [n for n in mod.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
    if len(checks) != 1 or len(checks[0].args.args) != 1:
        return whole
    fn = checks[0]
    param = fn.args.args[0].arg
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body or not all(isinstance(s, ast.Assert) for s in body):
        return whole
    tests = []
    for s in body:
        if not uses_name(s, param):
            continue  # e.g. `assert True, "..."`: tests nothing
        tests.append(ast.unparse(s))
    if param != "candidate":
        setup += "%s = candidate\n" % param
    return {"setup": setup, "tests": tests} if tests else whole


def analyze_main():
    ser = make_serialiser(1 << 20, 100)
    while True:
        try:
            req = read_frame()
        except EOFError:
            return
        if "he" in req:
            he = req["he"]
            write_frame(split_check(he["test"], he["entry_point"]))
        else:
            write_frame({"tests": [analyze_test(t, ser) for t in req["tests"]]})


# ---------------------------------------------------------------- sandbox

libc = None
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
SYS_PIVOT_ROOT = 155
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (what, os.strerror(e)))


def mount(src, target, fstype, flags, data):
    enc = lambda s: s.encode() if s is not None else None
    check(libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), "mount " + target)


def umount(target):
    check(libc.umount2(target.encode(), MNT_DETACH), "umount " + target)


def build_root(cfg):
    """Private mount tree: read-only binds of the system dirs, a minimal
    /dev, a /proc of our PID namespace, and a mount point for the per-child
    tmpfs; then pivot into it and drop the host tree."""
    mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    root = "/tmp"  # a tmpfs over /tmp, visible in this namespace only
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for d in cfg["binds"]:
        if not os.path.lexists(d):
            continue
        dst = root + d
        if os.path.islink(d):
            os.symlink(os.readlink(d), dst)
            continue
        os.makedirs(dst, exist_ok=True)
        mount(d, dst, None, MS_BIND | MS_REC, None)
        mount(None, dst, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    os.mkdir(root + "/dev")
    for n in ("null", "zero", "full", "random", "urandom"):
        dst = root + "/dev/" + n
        open(dst, "w").close()
        mount("/dev/" + n, dst, None, MS_BIND, None)
        mount(None, dst, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NOEXEC, None)
    os.mkdir(root + "/proc")
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    os.mkdir(root + "/tmp")
    opts = "size=%d,nr_inodes=%d,mode=0700,uid=%d,gid=%d" % (
        cfg["tmp_bytes"], cfg["tmp_inodes"], cfg["uid"], cfg["uid"])
    mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts)
    os.mkdir(root + "/.old")
    check(libc.syscall(SYS_PIVOT_ROOT, root.encode(), (root + "/.old").encode()), "pivot_root")
    os.chdir("/")
    umount("/.old")
    os.rmdir("/.old")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)


class Sandbox:
    """What a child gets: credentials, limits, filter, working directory."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.isolated = cfg["isolate"]
        self.uid = cfg["uid"]
        self.filter = None
        if cfg.get("seccomp"):
            raw = bytes.fromhex(cfg["seccomp"])
            self.filter_buf = ctypes.create_string_buffer(raw, len(raw))
            self.filter = SockFprog(len(raw) // 8, ctypes.addressof(self.filter_buf))
        # Isolated: a size- and inode-capped tmpfs mounted once (remounting
        # per program costs an RCU grace period, ~10 ms); emptied after
        # every child, once no process of the sandbox is left.
        self.workdir = "/tmp" if self.isolated else cfg["workdir"]

    def clean_workdir(self):
        """Leave the working directory empty and owned by the sandbox uid."""
        for name in os.listdir(self.workdir):
            path = os.path.join(self.workdir, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        if self.isolated:
            os.chown(self.workdir, self.uid, self.uid)
            os.chmod(self.workdir, 0o700)

    def confine_worker(self):
        """Limits that children inherit at fork, applied once to the worker
        (which needs none of what they forbid) instead of once per child:
        attaching a seccomp filter compiles it, ~0.3 ms per child."""
        lim = self.cfg["rlimits"]
        for res, val in ((resource.RLIMIT_AS, lim["as"]), (resource.RLIMIT_FSIZE, lim["fsize"]),
                         (resource.RLIMIT_NOFILE, lim["nofile"]), (resource.RLIMIT_NPROC, lim["nproc"]),
                         (resource.RLIMIT_CORE, 0)):
            if val > 0 or res == resource.RLIMIT_CORE:
                # RLIMIT_NPROC does not bind the worker (root); it binds the
                # children once they switch to the sandbox uid.
                resource.setrlimit(res, (val, val))
        if self.filter is not None:
            check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
            check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(self.filter), 0, 0), "seccomp")

    def enter(self, cpu_seconds):
        """Runs in the child before any untrusted code."""
        if self.isolated:
            fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
            os.write(fd, b"1000")
            os.close(fd)
            os.setgroups([])
            os.setresgid(self.uid, self.uid, self.uid)
            os.setresuid(self.uid, self.uid, self.uid)
        else:
            os.setsid()
        os.chdir(self.workdir)
        cpu = max(1, int(cpu_seconds + 0.999))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))

    def kill_all(self, pid):
        """Kill every process of the sandbox and reap them all."""
        if self.isolated:
            # As PID 1 of the namespace, kill(-1) reaches every other process
            # in it, including daemons that left the child's session.
            while True:
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
                reap(block=True)
        else:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        reap(block=True)


def reap(block):
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# ---------------------------------------------------------------- child

def describe(e, _str=str, _type=type, _Base=BaseException):
    try:
        msg = _str(e)
    except _Base:
        msg = "<unprintable>"
    name = _type(e).__name__
    if _type(name) is not _str:
        name = "<exception>"
    return name + (": " + msg[:300] if msg else "")


def make_encoder():
    """A JSON encoder bound now, before untrusted code can patch builtins
    or the json module (the C encoder does not look them up later)."""
    c_make = getattr(json.encoder, "c_make_encoder", None)
    if c_make is None:
        return json.dumps
    enc = c_make(None, None, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)
    join = "".join
    return lambda obj: join(enc(obj, 0))


def child_main(box, job, tests, start, res_w, out_w, cpu_seconds, ser):
    """Runs in the forked child: never returns."""
    try:
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
        os.closerange(3, res_w)
        os.closerange(res_w + 1, 1 << 16)
        try:
            box.enter(cpu_seconds)
        except BaseException as e:
            os.write(res_w, (json.dumps({"sandbox": describe(e)}) + "\n").encode())
            return
        run_tests(job, tests, start, res_w, ser)
    except BaseException:
        pass
    finally:
        os._exit(0)


def run_tests(job, tests, start, res_w, ser):
    # Everything the harness needs is bound locally before untrusted code
    # runs, so patched builtins or modules do not change how it behaves.
    _write, _dumps, _exec, _eval, _compile = os.write, make_encoder(), exec, eval, compile
    _Base, _Assert, _Unser, _describe = BaseException, AssertionError, Unserialisable, describe
    _range, _len, _str = range, len, str

    def emit(rec):
        data = (_dumps(rec) + "\n").encode()
        while data:
            data = data[_write(res_w, data):]

    g = {"__name__": "solution", "__builtins__": builtins}
    try:
        _exec(_compile(job["program"], "<program>", "exec"), g)
        if job.get("setup"):
            _exec(_compile(job["setup"], "<setup>", "exec"), g)
    except _Base as e:
        emit({"load": _describe(e)})
        return
    emit({"load": None})
    for i in _range(start, _len(tests)):
        kind, code = tests[i]
        try:
            if kind == "eq":
                value = _eval(code, g)
                try:
                    rec = {"i": i, "v": ser(value)}
                except _Unser as e:
                    rec = {"i": i, "u": _str(e)}
            elif kind == "inside":
                _exec(code, g)
                rec = {"i": i, "ok": 1}
            else:
                rec = {"i": i, "e": code}
        except _Assert as e:
            rec = {"i": i, "f": _describe(e)} if kind == "inside" else {"i": i, "e": _describe(e)}
        except _Base as e:
            rec = {"i": i, "e": _describe(e)}
        emit(rec)


# ---------------------------------------------------------------- server

_compiled = {}


def compile_test(t):
    key = (t["kind"], t["code"])
    c = _compiled.get(key)
    if c is None:
        if len(_compiled) > 50000:
            _compiled.clear()
        c = _compiled[key] = compile_test_uncached(t)
    return c


def compile_test_uncached(t):
    try:
        if t["kind"] == "eq":
            return ("eq", compile(t["code"], "<test>", "eval"))
        if t["kind"] == "inside":
            return ("inside", compile(t["code"], "<test>", "exec"))
        return ("bad", t["code"] or "test is not valid")
    except SyntaxError as e:
        return ("bad", "test does not compile: %s" % e.msg)


def exit_text(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return "killed by " + name
    return "exited with status %d" % os.WEXITSTATUS(status)


class ChildRun:
    """One child: reads its records in order and enforces the test timeout."""

    def __init__(self, box, tests, start, out, timeout, output, cap):
        self.box, self.tests, self.start, self.out = box, tests, start, out
        self.timeout, self.output, self.cap = timeout, output, cap
        self.expect = -1  # -1: waiting for the load record
        self.buf = b""
        self.infra = None
        self.res_eof = False

    def fill(self, status, reason, frm):
        for i in range(frm, len(self.tests)):
            self.out[i] = [status, reason]

    def record(self, rec):
        """Apply one record; returns the next start index when the run is over."""
        n = len(self.tests)
        if self.expect == -1:
            if not isinstance(rec, dict) or "load" not in rec:
                if isinstance(rec, dict) and "sandbox" in rec:
                    self.infra = "sandbox setup failed: %s" % rec["sandbox"]
                    self.fill("error", self.infra, self.start)
                    return n
                self.fill("crash", "corrupt result record while loading", self.start)
                return n
            if rec["load"] is not None:
                self.fill("error", "program: %s" % rec["load"], self.start)
                return n
            self.expect = self.start
            return n if self.start >= n else None
        i = self.expect
        if not isinstance(rec, dict) or rec.get("i") != i:
            self.out[i] = ["crash", "corrupt or out-of-order result record"]
            return i + 1
        if "v" in rec:
            self.out[i] = ["value", rec["v"]]
        elif "ok" in rec:
            self.out[i] = ["pass", ""]
        elif "f" in rec:
            self.out[i] = ["fail", str(rec["f"])]
        elif "u" in rec:
            self.out[i] = ["fail", str(rec["u"])]
        else:
            self.out[i] = ["error", str(rec.get("e", "unknown"))]
        self.expect = i + 1
        return n if self.expect >= n else None

    def lines(self, data):
        """Feed raw bytes; returns the next start index if the run is over."""
        self.buf += data
        if len(self.buf) > (64 << 20):
            return self.record(None)
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            try:
                rec = json.loads(line)
            except ValueError:
                rec = None
            nxt = self.record(rec)
            if nxt is not None:
                return nxt
        return None

    def take_output(self, fd):
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return True
        room = self.cap - len(self.output)
        if room > 0:
            self.output += data[:room]
        return bool(data)

    def run(self, job, ser):
        box = self.box
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        try:  # room for every record, so the child never waits for a tick
            fcntl.fcntl(res_w, fcntl.F_SETPIPE_SZ, 1 << 20)
        except OSError:
            pass
        cpu = self.timeout * (len(self.tests) - self.start + 1)
        gc.freeze()  # keeps the child's GC from touching (and copying) our pages
        pid = os.fork()
        if pid == 0:
            os.close(res_r)
            os.close(out_r)
            child_main(box, job, self.tests, self.start, res_w, out_w, cpu, ser)
        os.close(res_w)
        os.close(out_w)
        pidfd = os.pidfd_open(pid)
        try:
            return self.watch(pid, pidfd, res_r, out_r)
        finally:
            box.kill_all(pid)
            for fd in (pidfd, res_r, out_r):
                os.close(fd)
            box.clean_workdir()

    def drain(self, fd):
        while not self.res_eof:
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                return None
            if not data:
                self.res_eof = True
                return None
            nxt = self.lines(data)
            if nxt is not None:
                return nxt
        return None

    def watch(self, pid, pidfd, res_r, out_r):
        """Wait for the child. The record pipe is read when the child exits
        or on a timer tick rather than per record (one wake-up per program
        instead of one per test); a test's timeout is therefore measured
        from the tick that first saw the previous record, at most one tick
        (a quarter of the timeout, <= 0.25 s) late."""
        os.set_blocking(res_r, False)
        os.set_blocking(out_r, False)
        poller = select.poll()
        poller.register(out_r, select.POLLIN)
        poller.register(pidfd, select.POLLIN)
        tick = min(self.timeout / 4, 0.25)
        last = time.monotonic()
        while True:
            exited = False
            for fd, _ in poller.poll(tick * 1000):
                if fd == out_r:
                    if not self.take_output(out_r):
                        poller.unregister(out_r)
                elif fd == pidfd:
                    exited = True
            before = self.expect
            nxt = self.drain(res_r)
            if nxt is not None:
                return nxt
            now = time.monotonic()
            if self.expect != before:
                last = now
            if exited:
                _, status = os.waitpid(pid, 0)
                return self.died(exit_text(status))
            if now - last >= self.timeout:
                return self.timed_out()

    def died(self, how):
        if self.expect == -1:
            self.fill("crash", "process %s while loading the program" % how, self.start)
            return len(self.tests)
        self.out[self.expect] = ["crash", "process %s during the test" % how]
        return self.expect + 1

    def timed_out(self):
        if self.expect == -1:
            self.fill("timeout", "program did not finish loading within %gs" % self.timeout, self.start)
            return len(self.tests)
        self.out[self.expect] = ["timeout", "no result within %gs" % self.timeout]
        return self.expect + 1


def run_job(box, job, cap, ser):
    tests = [compile_test(t) for t in job["tests"]]
    out = [None] * len(tests)
    output = bytearray()
    end = time.monotonic() + job["budget"]
    start, infra = 0, None
    while start < len(tests):
        if time.monotonic() >= end:
            for i in range(start, len(tests)):
                out[i] = ["skipped", "program time budget of %gs exhausted" % job["budget"]]
            break
        run = ChildRun(box, tests, start, out, job["timeout"], output, cap)
        start = run.run(job, ser)
        infra = infra or run.infra
    reply = {"tests": out, "output": output.decode("utf-8", "replace")}
    if infra:
        reply["infra"] = infra
    return reply


def serve_main():
    global libc
    libc = ctypes.CDLL(None, use_errno=True)
    cfg = read_frame()
    if cfg["isolate"]:
        build_root(cfg)
        try:  # prefer the OOM killer to pick children (needs CAP_SYS_RESOURCE)
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("-1000")
        except OSError:
            pass
    box = Sandbox(cfg)
    box.confine_worker()
    ser = make_serialiser(200000, 64)
    write_frame({"ready": True})
    while True:
        try:
            job = read_frame()
        except EOFError:
            return
        write_frame(run_job(box, job, cfg["output_cap"], ser))


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if sys.argv[1] == "analyze":
        analyze_main()
    else:
        serve_main()
