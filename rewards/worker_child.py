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


def child_main(box, spec, start, cpu_seconds, ser, enc):
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
        if spec.mode == "io":
            run_io(program, spec, start, enc)
        else:
            os.close(SO_FD)
            run_tests(program, setup, spec, start, ser, enc)
    except BaseException:
        pass
    finally:
        os._exit(0)


def make_emit(enc):
    """emit(record): one JSON line on the record pipe, after flushing what
    the program printed, so nothing is lost when the worker kills the child
    after the last record (C-level flush methods and the encoder, bound
    before untrusted code runs)."""
    _write, _dumps, res_w, _Base = os.write, enc, REC_FD, BaseException
    _flush = (sys.stdout.flush, sys.stderr.flush)

    def emit(rec):
        for f in _flush:
            try:
                f()
            except _Base:
                pass
        data = (_dumps(rec) + "\n").encode()
        while data:
            data = data[_write(res_w, data):]

    return emit


def make_fresh():
    """fresh(args): a deep copy of decoded JSON (lists, dicts, scalars),
    made with the built-in types bound now, so each call gets arguments no
    earlier call (or the program) has touched."""
    _type, _list, _dict, _items = type, list, dict, dict.items

    def fresh(v):
        t = _type(v)
        if t is _list:
            return [fresh(x) for x in v]
        if t is _dict:
            return {k: fresh(x) for k, x in _items(v)}
        return v

    return fresh


def run_tests(program, setup, spec, start, ser, enc):
    # Everything the harness needs is bound locally before untrusted code
    # runs (the encoder even before the fork), so patched builtins or
    # modules do not change how it behaves.
    _exec, _eval, _compile = exec, eval, compile
    _Base, _Assert, _Unser, _describe, _Tampered = BaseException, AssertionError, Unserialisable, describe, Tampered
    _range, _len, _str, _get = range, len, str, dict.get
    emit, fresh, _bind, _rebuilder = make_emit(enc), make_fresh(), bind_candidate, make_rebuilder
    tests, mode, entry = spec.tests, spec.mode, spec.entry
    g = {"__name__": "solution", "__builtins__": builtins}
    ns, guard, units = g, None, None
    if mode in ("he", "unit"):
        # The test module runs first, while the process is still a clean
        # copy of the zygote: its imports and base classes are genuine.
        try:
            ns, guard = test_namespace(g, spec)
            if mode == "unit":
                units = UnitRunner(ns, tests, guard)
        except _Base as e:
            emit({"load": _describe(e), "where": "test module"})
            return
    try:
        _exec(_compile(program, "<program>", "exec"), g)
        if setup:
            _exec(_compile(setup, "<setup>", "exec"), g)
        if mode == "he":
            _bind(ns, g, spec, _rebuilder(ser), guard)
    except _Base as e:
        emit({"load": _describe(e)})
        return
    emit({"load": None})
    for i in _range(start, _len(tests)):
        kind, code = tests[i]
        try:
            if guard is not None:
                guard.check()
            if kind == "eq" or kind == "call":
                if kind == "eq":
                    value = _eval(code, ns)
                else:
                    fn = _get(g, entry)
                    if fn is None:
                        raise NameError("the program does not define %s" % entry)
                    value = fn(*fresh(code))
                try:
                    rec = {"i": i, "v": ser(value)}
                except _Unser as e:
                    rec = {"i": i, "u": _str(e)}
            elif kind == "inside":
                _exec(code, ns)
                rec = {"i": i, "ok": 1}
            elif kind == "unit":
                rec = units.run(i)
            else:
                rec = {"i": i, "e": code}
            if guard is not None:
                guard.check()
        except _Tampered as e:
            rec = {"i": i, "e": _describe(e)}
        except _Assert as e:
            rec = {"i": i, "f": _describe(e)} if kind == "inside" else {"i": i, "e": _describe(e)}
        except _Base as e:
            rec = {"i": i, "e": _describe(e)}
        emit(rec)


def run_io(program, spec, i, enc):
    """One stdin/stdout case: the program runs as __main__ with the case's
    input on stdin (a memfd) and SO_FD as its stdout; the worker captures
    that and Go compares it with the expected output, which never enters
    the sandbox. The record says only whether the program ran to its end
    (returned, or raised SystemExit with code 0 or None)."""
    emit = make_emit(enc)
    _Base, _Exit, _describe = BaseException, SystemExit, describe
    try:
        code = compile(program, "<program>", "exec")
        fd = os.memfd_create("stdin")
        data = spec.tests[i][1].encode("utf-8", "surrogatepass")
        while data:
            data = data[os.write(fd, data):]
        os.lseek(fd, 0, os.SEEK_SET)
        os.dup2(fd, 0)
        os.close(fd)
        os.dup2(SO_FD, 1)
        os.close(SO_FD)
    except _Base as e:
        emit({"load": _describe(e)})
        return
    emit({"load": None})
    status = None
    try:
        exec(code, {"__name__": "__main__", "__builtins__": builtins})
    except _Exit as e:
        c = e.code
        if c is not None and not (type(c) is int and c == 0):
            status = "SystemExit: %s" % describe(e)
    except _Base as e:
        status = _describe(e)
    emit({"i": i, "io": status})
