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


def read_payload(fd):
    """The program and setup, as the worker forwarded them: a 4-byte
    length, then the program's length and UTF-8 bytes, then the setup's."""
    data = read_exact(fd, int.from_bytes(read_exact(fd, 4), "big"))
    k = int.from_bytes(data[:4], "big")
    return data[4:4 + k].decode("utf-8", "surrogatepass"), data[4 + k:].decode("utf-8", "surrogatepass")


def child_main(box, tests, start, cpu_seconds, ser, enc):
    """Runs in the child forked by the zygote: never returns. The program
    arrives on JOB_FD only now, so the zygote never holds any job's code.
    The zygote has already put the descriptors in place."""
    try:
        os.closerange(CTL_FD, 1 << 16)
        try:
            box.enter(cpu_seconds)
            program, setup = read_payload(JOB_FD)
            os.close(JOB_FD)
        except BaseException as e:
            os.write(REC_FD, (json.dumps({"sandbox": describe(e)}) + "\n").encode())
            return
        run_tests(program, setup, tests, start, ser, enc)
    except BaseException:
        pass
    finally:
        os._exit(0)


def run_tests(program, setup, tests, start, ser, enc):
    # Everything the harness needs is bound locally before untrusted code
    # runs (the encoder even before the fork), so patched builtins or
    # modules do not change how it behaves.
    _write, _dumps, _exec, _eval, _compile, res_w = os.write, enc, exec, eval, compile, REC_FD
    _Base, _Assert, _Unser, _describe = BaseException, AssertionError, Unserialisable, describe
    _range, _len, _str = range, len, str
    _flush = (sys.stdout.flush, sys.stderr.flush)

    def emit(rec):
        # What the program printed reaches the output pipe before its
        # record, so nothing is lost when the worker kills the child after
        # the last one (C-level flush methods, bound before the program).
        for f in _flush:
            try:
                f()
            except _Base:
                pass
        data = (_dumps(rec) + "\n").encode()
        while data:
            data = data[_write(res_w, data):]

    g = {"__name__": "solution", "__builtins__": builtins}
    try:
        _exec(_compile(program, "<program>", "exec"), g)
        if setup:
            _exec(_compile(setup, "<setup>", "exec"), g)
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
