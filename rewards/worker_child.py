# Part of the runner's Python worker; see worker_common.py.

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


def close_fds_except(keep):
    """Close every descriptor above 2 except those in keep."""
    low = 3
    for fd in sorted(keep):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1 << 16)


def child_main(box, tests, start, job_r, res_w, out_w, cpu_seconds, ser):
    """Runs in the child forked by the zygote: never returns. The program
    arrives on job_r only now, so the zygote never holds any job's code."""
    try:
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
        close_fds_except((job_r, res_w))
        try:
            box.enter(cpu_seconds)
            job = read_frame(job_r)
            os.close(job_r)
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
