"""Python side of the acecoder test runner (embedded in the Go package).

The Go side concatenates worker_common.py, worker_analyze.py,
worker_sandbox.py, worker_child.py, worker_harness.py, worker_zygote.py and
worker_serve.py into one script and
runs it with `python -I -S -c`.

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
length followed by a body: JSON, except a job, which is three sections
(header JSON, tests JSON, child payload) each but the last prefixed with
its 4-byte length, so the worker forwards the tests and the payload
without decoding them. Children report on a private pipe, one JSON record
per line, strictly in order; the worker rejects anything out of sequence.
"""

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
import struct
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


def read_raw(fd=IN_FD):
    return read_exact(fd, int.from_bytes(read_exact(fd, 4), "big"))


def read_frame(fd=IN_FD):
    return json.loads(read_raw(fd))


def write_frame(obj, fd=OUT_FD):
    data = json.dumps(obj, ensure_ascii=True).encode()
    data = len(data).to_bytes(4, "big") + data
    while data:
        data = data[os.write(fd, data):]


# ---------------------------------------------------------------- values
# Strict serialisation of built-in values: exact types only, bounded depth
# and size. Equality is decided on the Go side. A few standard-library
# containers are accepted where Python's == against a literal is the
# built-in one: Counter, defaultdict and OrderedDict compare with a dict
# literal as dicts; a tuple subclass that inherits tuple's __eq__ (what
# collections.namedtuple and typing.NamedTuple make) compares as a tuple;
# a deque is sent as a deque, which equals no literal. Their contents are
# read with the built-in types' own methods, bound here, so nothing a
# program patches or overrides takes part.

class Unserialisable(Exception):
    pass


def make_serialiser(max_nodes, max_depth):
    import collections
    _type, _str, _len, _hex, _format = type, str, len, float.hex, format
    _int, _float, _bool, _none = int, float, bool, type(None)
    _list, _tuple, _dict, _set, _fset = list, tuple, dict, set, frozenset
    _bytes, _complex, _exc = bytes, complex, Unserialisable
    _items, _titer = dict.items, tuple.__iter__
    _cnt, _ddict, _odict = collections.Counter, collections.defaultdict, collections.OrderedDict
    _deque, _qiter = collections.deque, collections.deque.__iter__
    _slot = type.__dict__
    _mro, _cdict, _name = _slot["__mro__"].__get__, _slot["__dict__"].__get__, _slot["__name__"].__get__

    def plain_tuple(t):
        """A tuple subclass whose == is tuple's: made by type, as every class
        before tuple in its method resolution order, none of which defines
        __eq__. Python compares it with a tuple as a tuple."""
        if _type(t) is not type:
            return False
        for c in _mro(t):
            if c is _tuple:
                return True
            if _type(c) is not type or "__eq__" in _cdict(c):
                return False
        return False

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
            if t is _list:
                return ["l", [go(x, depth + 1) for x in v]]
            if t is _tuple:
                return ["t", [go(x, depth + 1) for x in v]]
            if t is _dict or t is _cnt or t is _ddict or t is _odict:
                return ["d", [[go(k, depth + 1), go(x, depth + 1)] for k, x in _items(v)]]
            if t is _set or t is _fset:
                return ["e", [go(x, depth + 1) for x in v]]
            if t is _deque:
                return ["q", [go(x, depth + 1) for x in _qiter(v)]]
            if plain_tuple(t):
                return ["t", [go(x, depth + 1) for x in _titer(v)]]
            raise _exc("returned a %s, not a built-in value" % _name(t))

        return go(v, 0)

    return ser
