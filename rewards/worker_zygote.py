# Part of the runner's Python worker; see worker_common.py.

# ---------------------------------------------------------------- zygote

# The zygote's descriptors. A child keeps JOB_FD and REC_FD and closes
# everything from CTL_FD up with one close_range.
JOB_FD, REC_FD, CTL_FD, ANS_FD = 3, 4, 5, 6
CTL_HEAD = struct.Struct(">IId")  # tests length, first test, CPU seconds
ENDED = struct.Struct(">ii")       # a child's pid and wait status


def compile_tests(blob):
    """[[kind, code], ...] as JSON -> [(kind, code object or reason)]."""
    out = []
    for kind, code in json.loads(blob):
        try:
            if kind == "eq":
                out.append(("eq", compile(code, "<test>", "eval")))
            elif kind == "inside":
                out.append(("inside", compile(code, "<test>", "exec")))
            else:
                out.append(("bad", code or "test is not valid"))
        except SyntaxError as e:
            out.append(("bad", "test does not compile: %s" % e.msg))
    return out


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
        for fd in (self.job_w, rec_w):
            try:  # room for a whole program / all records without waiting
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
            except OSError:
                pass
        self.job_cap = fcntl.fcntl(self.job_w, fcntl.F_GETPIPE_SZ)
        pid = os.fork()
        if pid == 0:
            for fd in (IN_FD, OUT_FD, self.ctl_w, self.ans_r, self.job_w, self.rec_r, self.out_r):
                os.close(fd)
            zygote_main(box, (job_r, rec_w, ctl_r, ans_w), out_w)
        zygote_pid = self.pid = pid
        for fd in (ctl_r, ans_w, rec_w, out_w):
            os.close(fd)
        # job_r is kept only to drain what a dead child did not read; it
        # stays blocking (the flag would be shared with the children).
        self.job_r = job_r
        for fd in (self.rec_r, self.out_r):
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
        for fd in (self.rec_r, self.out_r):
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
    """Put the pipes children use at JOB_FD and REC_FD, ours at CTL_FD and
    ANS_FD, /dev/null at 0 and the output pipe at 1 and 2, and close the
    rest, so a child has nothing to rearrange."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, ANS_FD + 1) for fd in keep + (out_w,)]
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(high[-1], 1)
    os.dup2(high[-1], 2)
    for target, fd in zip((JOB_FD, REC_FD, CTL_FD, ANS_FD), high):
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
                if len(cache) >= 256:  # RL sends a question's tests many times in a row
                    del cache[next(iter(cache))]
                tests = cache[blob] = compile_tests(blob)
            gc.freeze()  # keeps the child's GC from touching (and copying) our pages
            pid = os.fork()
            if pid == 0:
                child_main(box, tests, start, cpu, ser, enc)
            _, status = os.waitpid(pid, 0)
            os.write(ANS_FD, ENDED.pack(pid, status))
    finally:
        os._exit(0)
