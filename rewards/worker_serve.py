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
        try:  # spare the worker from the OOM killer (needs CAP_SYS_RESOURCE)
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("-1000")
        except OSError:
            pass
        # Children inherit the worker's score; the one that grew is the
        # OOM killer's choice anyway (badness follows memory use).
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
