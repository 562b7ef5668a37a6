# Part of the runner's Python worker; see worker_common.py.

# ---------------------------------------------------------------- zygote

# The zygote's descriptors. A child keeps JOB_FD, REC_FD and SO_FD (the
# stdout pipe of stdin/stdout cases, which it makes its fd 1) and closes
# everything from CTL_FD up with one close_range.
JOB_FD, REC_FD, SO_FD, CTL_FD, ANS_FD = 3, 4, 5, 6, 7
CTL_HEAD = struct.Struct(">IId")  # tests length, first test, CPU seconds
ENDED = struct.Struct(">ii")       # a child's pid and wait status


class Spec:
    """A job's tests as the zygote compiled them: the mode (asserts, he,
    calls, io, unit), the entry point and check parameter, the test module
    (HumanEval or unittest; None or a code object, or a reason string when
    it does not compile) and the tests [(kind, code object or data)]."""

    def __init__(self, mode, entry, param, module, tests):
        self.mode, self.entry, self.param, self.module, self.tests = mode, entry, param, module, tests


def compile_tests(blob):
    """{"mode", "entry", "param", "module", "tests": [[kind, code], ...]} as
    JSON -> Spec. Call arguments are decoded here, once; children copy them
    before each call."""
    spec = json.loads(blob)
    out = []
    for kind, code in spec["tests"]:
        try:
            if kind == "eq":
                out.append(("eq", compile(code, "<test>", "eval")))
            elif kind == "inside":
                out.append(("inside", compile(code, "<test>", "exec")))
            elif kind == "call":
                args = json.loads(code)
                out.append(("call", args) if type(args) is list else ("bad", "call arguments are not a list"))
            elif kind in ("io", "unit"):
                out.append((kind, code))
            else:
                out.append(("bad", code or "test is not valid"))
        except SyntaxError as e:
            out.append(("bad", "test does not compile: %s" % e.msg))
        except ValueError as e:
            out.append(("bad", "call arguments are not JSON: %s" % e))
    module = spec.get("module")
    if module is not None:
        try:
            module = compile(module, "<tests>", "exec")
        except SyntaxError as e:
            module = "test module does not compile: %s (line %s)" % (e.msg, e.lineno)
    return Spec(spec.get("mode", "asserts"), spec.get("entry", ""), spec.get("param", ""), module, out)


class Zygote:
    """A process forked before any job arrived, which forks the children.

    Children are copies of the zygote, so they never inherit bytes of other
    jobs (program text, returned values) from this process's heap; the
    zygote only ever sees test code, which it compiles and caches. Before
    the first fork it imports the standard-library modules programs import
    most (cfg["preload"]), so a child finds them already loaded; each child
    gets its own copy-on-write copy, so what one program does to a module
    never reaches the zygote or a later program. The program reaches each
    child on its own pipe after the fork. The zygote is the children's
    parent and reaps them; daemons they leave are reparented to us (PID 1)
    and reaped here."""

    def __init__(self, box):
        global zygote_pid
        ctl_r, self.ctl_w = os.pipe()
        self.ans_r, ans_w = os.pipe()
        job_r, self.job_w = os.pipe()
        self.rec_r, rec_w = os.pipe()
        self.out_r, out_w = os.pipe()
        self.so_r, so_w = os.pipe()
        for fd in (self.job_w, rec_w, so_w):
            try:  # room for a whole program / all records without waiting
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
            except OSError:
                pass
        self.job_cap = fcntl.fcntl(self.job_w, fcntl.F_GETPIPE_SZ)
        pid = os.fork()
        if pid == 0:
            for fd in (IN_FD, OUT_FD, self.ctl_w, self.ans_r, self.job_w, self.rec_r, self.out_r, self.so_r):
                os.close(fd)
            zygote_main(box, (job_r, rec_w, so_w, ctl_r, ans_w), out_w)
        zygote_pid = self.pid = pid
        for fd in (ctl_r, ans_w, rec_w, out_w, so_w):
            os.close(fd)
        # job_r is kept only to drain what a dead child did not read; it
        # stays blocking (the flag would be shared with the children).
        self.job_r = job_r
        for fd in (self.rec_r, self.out_r, self.so_r):
            os.set_blocking(fd, False)

    def spawn(self, payload, tests, start, cpu):
        """Have the zygote fork a child for the job from test start. The
        payload is queued on the job pipe first (run_job checked that it
        fits), so no write here can wait on a child that died. The zygote
        answers only when the child has ended (ans_r becomes readable), so
        the worker is not woken in between."""
        write_all(self.job_w, len(payload).to_bytes(4, "big") + payload)
        write_all(self.ctl_w, CTL_HEAD.pack(len(tests), start, cpu) + tests)

    def ended(self):
        """The pid and wait status of the last child (blocks until the
        zygote has reaped it)."""
        return ENDED.unpack(read_exact(self.ans_r, ENDED.size))

    def child(self):
        """The pid of the live child, from the kernel's list of the
        zygote's children (None when it has none)."""
        try:
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
                kids = f.read().split()
        except OSError:
            return None
        return int(kids[0]) if kids else None

    def drain_pipes(self):
        """Drop whatever the last child left in the shared pipes."""
        for fd in (self.rec_r, self.out_r, self.so_r):
            try:
                while os.read(fd, 1 << 16):
                    pass
            except BlockingIOError:
                pass
        while select.select([self.job_r], [], [], 0)[0]:
            os.read(self.job_r, 1 << 16)


def write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def zygote_fds(keep, out_w):
    """Put the pipes children use at JOB_FD, REC_FD and SO_FD, ours at CTL_FD and
    ANS_FD, /dev/null at 0 and the output pipe at 1 and 2, and close the
    rest, so a child has nothing to rearrange."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, ANS_FD + 1) for fd in keep + (out_w,)]
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(high[-1], 1)
    os.dup2(high[-1], 2)
    for target, fd in zip((JOB_FD, REC_FD, SO_FD, CTL_FD, ANS_FD), high):
        os.dup2(fd, target)
    os.closerange(ANS_FD + 1, 1 << 16)


def zygote_main(box, keep, out_w):
    """Fork children on request; never returns."""
    try:
        zygote_fds(keep, out_w)
        box.confine_zygote()
        for name in box.cfg.get("preload", ()):
            try:
                __import__(name)
            except ImportError:
                pass
        import unittest  # unittest jobs find it loaded and unpatched
        ser, enc = make_serialiser(200000, 64), make_encoder()
        cache = {}
        gc.collect()
        while True:
            try:
                k, start, cpu = CTL_HEAD.unpack(read_exact(CTL_FD, CTL_HEAD.size))
                blob = read_exact(CTL_FD, k)
            except EOFError:
                break
            tests = cache.get(blob)
            if tests is None:
                tests = compile_tests(blob)
                if len(blob) <= (1 << 20):  # RL sends a question's tests many times in a row
                    if len(cache) >= 256:
                        del cache[next(iter(cache))]
                    cache[blob] = tests
            gc.freeze()  # keeps the child's GC from touching (and copying) our pages
            pid = os.fork()
            if pid == 0:
                child_main(box, tests, start, cpu, ser, enc)
            _, status = os.waitpid(pid, 0)
            os.write(ANS_FD, ENDED.pack(pid, status))
    finally:
        os._exit(0)
