# Part of the runner's Python worker; see worker_common.py.

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

    def run(self, job, zyg):
        cpu = self.timeout * (len(self.tests) - self.start + 1)
        pid = zyg.spawn(job, self.start, cpu)
        self.status = None
        try:
            try:
                pidfd = os.pidfd_open(pid)
            except ProcessLookupError:  # already gone and reaped by the zygote
                self.status = zyg.status()
                nxt = self.drain(zyg.rec_r)
                return nxt if nxt is not None else self.died(exit_text(self.status))
            try:
                return self.watch(zyg, pidfd)
            finally:
                os.close(pidfd)
        finally:
            self.box.kill_all(pid)
            if self.status is None:
                zyg.status()  # the zygote has reaped the child
            self.box.wait_gone()
            zyg.drain_pipes()
            self.box.clean_workdir()

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

    def watch(self, zyg, pidfd):
        """Wait for the child. The record pipe is read when the child exits
        or on a timer tick rather than per record (one wake-up per program
        instead of one per test); a test's timeout is therefore measured
        from the tick that first saw the previous record, at most one tick
        (a quarter of the timeout, <= 0.25 s) late."""
        res_r, out_r = zyg.rec_r, zyg.out_r
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
                self.status = zyg.status()
                nxt = self.drain(res_r)
                if nxt is not None:
                    return nxt
                return self.died(exit_text(self.status))
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


def run_job(box, zyg, job, cap):
    tests = job["tests"]
    out = [None] * len(tests)
    job["_payload"] = {"program": job["program"], "setup": job.get("setup", "")}
    if len(json.dumps(job["_payload"])) + 4 > zyg.job_cap:
        reason = "program and setup exceed %d bytes" % (zyg.job_cap - 64)
        return {"tests": [["error", reason] for _ in tests], "output": ""}
    output = bytearray()
    end = time.monotonic() + job["budget"]
    start, infra = 0, None
    while start < len(tests):
        if time.monotonic() >= end:
            for i in range(start, len(tests)):
                out[i] = ["skipped", "program time budget of %gs exhausted" % job["budget"]]
            break
        run = ChildRun(box, tests, start, out, job["timeout"], output, cap)
        start = run.run(job, zyg)
        infra = infra or run.infra
    reply = {"tests": out, "output": output.decode("utf-8", "replace")}
    if infra:
        reply["infra"] = infra
    return reply


class Zygote:
    """A process forked before any job arrived, which forks the children.

    Children are copies of the zygote, so they never inherit bytes of other
    jobs (program text, returned values) from this process's heap; the
    zygote only ever sees test code, which it compiles once and caches.
    The program reaches each child on its own pipe after the fork. The
    zygote is the children's parent and reaps them; daemons they leave
    are reparented to us (PID 1) and reaped here."""

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
            zygote_main(box, ctl_r, ans_w, job_r, rec_w, out_w)
        zygote_pid = self.pid = pid
        for fd in (ctl_r, ans_w, rec_w, out_w):
            os.close(fd)
        # job_r is kept only to drain what a dead child did not read; it
        # stays blocking (the flag would be shared with the children).
        self.job_r = job_r
        for fd in (self.rec_r, self.out_r):
            os.set_blocking(fd, False)

    def spawn(self, job, start, cpu):
        """Fork a child for job from test start; returns its pid. The
        program is queued on the job pipe first (it fits: run_job checked
        its size), so no write here can wait on a child that died."""
        write_frame(job["_payload"], self.job_w)
        tests = [{"kind": t["kind"], "code": t["code"]} for t in job["tests"]]
        write_frame({"tests": tests, "start": start, "cpu": cpu}, self.ctl_w)
        return read_frame(self.ans_r)["pid"]

    def status(self):
        """The wait status of the last child (blocks until it is reaped)."""
        return read_frame(self.ans_r)["status"]

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


def zygote_main(box, ctl_r, ans_w, job_r, rec_w, out_w):
    """Fork children on request; never returns."""
    try:
        ser = make_serialiser(200000, 64)
        gc.collect()
        while True:
            try:
                req = read_frame(ctl_r)
            except EOFError:
                break
            tests = [compile_test(t) for t in req["tests"]]
            gc.freeze()  # keeps the child's GC from touching (and copying) our pages
            pid = os.fork()
            if pid == 0:
                child_main(box, tests, req["start"], job_r, rec_w, out_w, req["cpu"], ser)
            write_frame({"pid": pid}, ans_w)
            _, status = os.waitpid(pid, 0)
            write_frame({"status": status}, ans_w)
    finally:
        os._exit(0)


def serve_main():
    global libc
    libc = ctypes.CDLL(None, use_errno=True)
    cfg = read_frame()
    if cfg["isolate"]:
        build_root(cfg)
        try:  # spare the worker from the OOM killer (needs CAP_SYS_RESOURCE)
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("-1000")
        except OSError:
            pass
        # Children inherit the worker's score; the one that grew is the
        # OOM killer's choice anyway (badness follows memory use).
    box = Sandbox(cfg)
    box.confine_worker()
    # As PID 1 we ignore signals from the sandbox unless we handle them;
    # Python handles SIGINT, so stop doing that.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    zyg = Zygote(box)
    write_frame({"ready": True})
    while True:
        try:
            job = read_frame()
        except EOFError:
            return
        write_frame(run_job(box, zyg, job, cfg["output_cap"]))


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if sys.argv[1] == "analyze":
        analyze_main()
    else:
        serve_main()
