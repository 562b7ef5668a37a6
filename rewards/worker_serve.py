# Part of the runner's Python worker; see worker_common.py.

# ---------------------------------------------------------------- server

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

    def __init__(self, box, n, start, out, timeout, output, cap, so_cap=None):
        self.box, self.n, self.start, self.out = box, n, start, out
        self.timeout, self.output, self.cap = timeout, output, cap
        # so_cap: a stdin/stdout case, whose child runs this one case and
        # whose stdout is kept (up to so_cap bytes) for the comparison in Go.
        self.so_cap, self.stdout = so_cap, bytearray()
        self.expect = -1  # -1: waiting for the load record
        self.buf = b""
        self.infra = None
        self.res_eof = False

    def fill(self, status, reason, frm):
        for i in range(frm, self.n):
            self.out[i] = [status, reason]

    def record(self, rec):
        """Apply one record; returns the next start index when the run is over."""
        n = self.n
        if self.expect == -1:
            if not isinstance(rec, dict) or "load" not in rec:
                if isinstance(rec, dict) and "sandbox" in rec:
                    self.infra = "sandbox setup failed: %s" % rec["sandbox"]
                    self.fill("error", self.infra, self.start)
                    return n
                self.fill("crash", "corrupt result record while loading", self.start)
                return n
            if rec["load"] is not None:
                self.fill("error", "%s: %s" % (rec.get("where", "program"), rec["load"]), self.start)
                return n
            self.expect = self.start
            return n if self.start >= n else None
        i = self.expect
        if not isinstance(rec, dict) or rec.get("i") != i:
            self.out[i] = ["crash", "corrupt or out-of-order result record"]
            return i + 1
        if self.so_cap is not None:
            if "io" not in rec:
                self.out[i] = ["crash", "corrupt result record"]
            elif not self.take_stdout(self.so_fd):
                self.out[i] = ["fail", "stdout exceeded %d bytes" % self.so_cap]
            else:
                self.out[i] = ["out", [self.stdout.decode("utf-8", "replace"), rec["io"]]]
            return i + 1
        if "v" in rec:
            self.out[i] = ["value", rec["v"]]
        elif "ok" in rec:
            self.out[i] = ["pass", ""]
        elif "f" in rec:
            self.out[i] = ["fail", str(rec["f"])]
        elif "u" in rec:
            self.out[i] = ["fail", str(rec["u"])]
        elif "s" in rec:
            self.out[i] = ["skipped", "test skipped: %s" % rec["s"]]
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

    def take_stdout(self, fd):
        """Keep the case's stdout; False once it passed its cap (the case
        then fails at once)."""
        while True:
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                return True
            if not data:
                return True
            self.stdout += data
            if len(self.stdout) > self.so_cap:
                return False

    def take_output(self, fd):
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return True
        room = self.cap - len(self.output)
        if room > 0:
            self.output += data[:room]
        return bool(data)

    def run(self, zyg, payload, tests):
        cpu = self.timeout * (self.n - self.start + 1)
        zyg.spawn(payload, tests, self.start, cpu)
        self.pid = self.status = None
        try:
            return self.watch(zyg)
        finally:
            alive = self.status is None
            self.box.kill_all(zyg.child if alive else (lambda: self.pid), alive)
            if alive:
                zyg.ended()  # the zygote has reaped the child
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

    def watch(self, zyg):
        """Wait for the child. The record pipe is read when the child exits
        (the zygote reports its status) or on a timer tick rather than per
        record (one wake-up per program instead of one per test); a test's
        timeout is therefore measured from the tick that first saw the
        previous record, at most one tick (a quarter of the timeout,
        <= 0.25 s) late."""
        res_r, out_r, so_r = zyg.rec_r, zyg.out_r, zyg.so_r
        self.so_fd = so_r
        poller = select.poll()
        poller.register(out_r, select.POLLIN)
        poller.register(zyg.ans_r, select.POLLIN)
        if self.so_cap is not None:
            poller.register(so_r, select.POLLIN)
        tick = min(self.timeout / 4, 0.25) * 1000
        last = time.monotonic()
        while True:
            exited = False
            for fd, _ in poller.poll(tick):
                if fd == out_r:
                    if not self.take_output(out_r):
                        poller.unregister(out_r)
                elif fd == so_r:
                    if not self.take_stdout(so_r):
                        return self.flooded()
                else:
                    exited = True
            if self.so_cap is not None and not self.take_stdout(so_r):
                return self.flooded()  # everything printed before a record is in the pipe
            before = self.expect
            nxt = self.drain(res_r)
            if nxt is not None:
                return nxt
            now = time.monotonic()
            if self.expect != before:
                last = now
            if exited:
                self.pid, self.status = zyg.ended()
                nxt = self.drain(res_r)
                if nxt is not None:
                    return nxt
                return self.died(exit_text(self.status))
            if now - last >= self.timeout:
                return self.timed_out()

    def flooded(self):
        i = max(self.expect, self.start)
        self.out[i] = ["fail", "stdout exceeded %d bytes" % self.so_cap]
        return i + 1

    def died(self, how):
        if self.expect == -1:
            self.fill("crash", "process %s while loading the program" % how, self.start)
            return self.n
        self.out[self.expect] = ["crash", "process %s during the test" % how]
        return self.expect + 1

    def timed_out(self):
        if self.expect == -1:
            self.fill("timeout", "program did not finish loading within %gs" % self.timeout, self.start)
            return self.n
        self.out[self.expect] = ["timeout", "no result within %gs" % self.timeout]
        return self.expect + 1


def run_job(box, zyg, frame, cap):
    """Run one job frame: header JSON, tests JSON, child payload."""
    k = int.from_bytes(frame[:4], "big")
    head = json.loads(frame[4:4 + k])
    m = int.from_bytes(frame[4 + k:8 + k], "big")
    tests, payload = frame[8 + k:8 + k + m], frame[8 + k + m:]
    n, timeout, budget = head["n"], head["timeout"], head["budget"]
    out = [None] * n
    if len(payload) + 4 > zyg.job_cap:
        reason = "program and setup exceed %d bytes" % (zyg.job_cap - 64)
        return {"tests": [["error", reason]] * n, "output": ""}
    output = bytearray()
    end = time.monotonic() + budget
    start, infra = 0, None
    while start < n:
        if time.monotonic() >= end:
            for i in range(start, n):
                out[i] = ["skipped", "program time budget of %gs exhausted" % budget]
            break
        so_caps = head.get("so_caps")
        run = ChildRun(box, n, start, out, timeout, output, cap, so_caps[start] if so_caps else None)
        start = run.run(zyg, payload, tests)
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
    # As PID 1 we ignore signals from the sandbox unless we handle them;
    # Python handles SIGINT, so stop doing that.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    zyg = Zygote(box)
    write_frame({"ready": True})
    while True:
        try:
            frame = read_raw()
        except EOFError:
            return
        write_frame(run_job(box, zyg, frame, cfg["output_cap"]))


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if sys.argv[1] == "analyze":
        analyze_main()
    else:
        serve_main()
