# Part of the runner's Python worker; see worker_common.py.

# ---------------------------------------------------------------- test harness
# HumanEval check modules and unittest modules run inside the sandbox, next
# to the program they test. They run in their own namespace, made before
# any program code runs (so their imports and base classes are the genuine
# ones), with a private copy of the builtins; names they do not define are
# looked up in the program's namespace when the tests run, except the
# builtins' names, which stay the builtins. A guard snapshots what the
# tests rely on (the builtins copy, the namespace's bindings, the functions
# of the modules it imported, unittest's TestCase machinery) and each
# test's verdict becomes an error when the program changed any of it.


class Tampered(Exception):
    pass


def make_rebuilder(ser):
    """Returns rebuild(v): a fresh copy of a built-in value made of exact
    built-in types only (what ser accepts; Counter, defaultdict and
    OrderedDict become dicts, named tuples tuples), so a check compares the
    candidate's result with built-in equality and nothing the program
    defines (a custom __eq__, a subclass) takes part. Raises Unserialisable
    for anything else."""
    import collections
    _int, _float, _complex, _bytes, _tuple, _fset = int, float, complex, bytes, tuple, frozenset
    _fromhex, _bfromhex, _deque = float.fromhex, bytes.fromhex, collections.deque

    def go(t, hashable):
        tag = t[0]
        if tag == "b":
            return t[1]
        if tag == "i":
            return _int(t[1], 0)
        if tag == "f":
            return _fromhex(t[1])
        if tag == "n":
            return None
        if tag == "s":
            return t[1]
        if tag == "S":
            return _bfromhex(t[1]).decode("utf-8", "surrogatepass")
        if tag == "y":
            return _bfromhex(t[1])
        if tag == "c":
            return _complex(_fromhex(t[1]), _fromhex(t[2]))
        if tag == "l":
            return [go(x, False) for x in t[1]]
        if tag == "t":
            return _tuple([go(x, hashable) for x in t[1]])
        if tag == "d":
            return {go(k, True): go(x, False) for k, x in t[1]}
        if tag == "e":
            items = [go(x, True) for x in t[1]]
            return _fset(items) if hashable else {x for x in items}
        if tag == "q":
            return _deque([go(x, False) for x in t[1]])
        raise Unserialisable("unknown tag")

    return lambda v: go(ser(v), False)


def fingerprint(obj, _getattr=getattr, _tuple=tuple):
    """What identifies a function's behaviour (code, defaults, closure
    cells); the object itself for anything else. Compared by identity
    only (same), so nothing the program defines runs."""
    code = _getattr(obj, "__code__", None)
    if code is None:
        return (obj,)
    cells = _tuple([c.cell_contents for c in _getattr(obj, "__closure__", None) or ()])
    return (obj, code, _getattr(obj, "__defaults__", None), _getattr(obj, "__kwdefaults__", None)) + cells


def same(a, b, _len=len, _range=range):
    if _len(a) != _len(b):
        return False
    for i in _range(_len(a)):
        if a[i] is not b[i]:
            return False
    return True


class Guard:
    """Snapshots of what the tests rely on, checked before and after each
    test."""

    def __init__(self):
        self.items = []  # (label, mapping, ((key, fingerprint), ...), keys or None)

    def watch_dict(self, label, d, only_callables):
        """d's bindings (those holding callables, when only_callables: a
        module's data may change as it is used, its functions may not)."""
        snap = tuple((k, fingerprint(v)) for k, v in tuple(d.items())
                     if not only_callables or callable(v))
        keys = None if only_callables else frozenset(d)
        self.items.append((label, d, snap, keys))

    def watch_class(self, label, cls):
        self.watch_dict(label, cls.__dict__, False)

    def check(self, _len=len, _Tampered=Tampered, _fp=fingerprint, _same=same):
        for label, d, snap, keys in self.items:
            for k, fp in snap:
                v = d.get(k, _Tampered)
                if v is _Tampered or not _same(_fp(v), fp):
                    raise _Tampered("the program changed %s.%s, which the tests use" % (label, k))
            if keys is not None and _len(d) != _len(keys):
                for k in d:
                    if k not in keys and k != "__warningregistry__":
                        raise _Tampered("the program added names to %s, which the tests use" % label)


def test_namespace(g, spec):
    """Run the test module in its own namespace before the program runs;
    returns the namespace and its guard."""
    import builtins as _b
    pristine = dict(_b.__dict__)
    shadow = frozenset(pristine)

    class TestNamespace(dict):
        __slots__ = ()

        def __missing__(self, key, _g=g, _shadow=shadow, _get=dict.__getitem__):
            if key in _shadow:
                raise KeyError(key)
            return _get(_g, key)

    if isinstance(spec.module, str):
        raise SyntaxError(spec.module)
    tg = TestNamespace(__name__="__tests__", __builtins__=pristine)
    exec(spec.module, tg)
    guard = Guard()
    guard.watch_dict("builtins", pristine, False)
    guard.watch_class("the test namespace", TestNamespace)
    return tg, guard


def watch_modules(guard, tg):
    """The functions of the modules the test module bound by name."""
    mod = type(builtins)
    for k, v in tuple(tg.items()):
        if type(v) is mod and k != "__builtins__":
            guard.watch_dict(v.__name__, v.__dict__, True)


def watch_unittest(guard):
    """unittest's assertion machinery: every class and function of
    unittest.case and unittest.util."""
    import unittest.case
    import unittest.util
    for m in (unittest.case, unittest.util):
        guard.watch_dict(m.__name__, m.__dict__, False)
        for k, v in tuple(m.__dict__.items()):
            if isinstance(v, type) and v.__module__ == m.__name__:
                guard.watch_class("%s.%s" % (m.__name__, k), v)


def bind_candidate(tg, g, spec, rebuild, guard):
    """The candidate the tests call: the program's entry point, whose
    results reach the tests as fresh built-in values (rebuild)."""
    try:
        fn = g[spec.entry]
    except KeyError:
        raise NameError("the program does not define %s" % spec.entry) from None

    def candidate(*args, **kwargs):
        return rebuild(fn(*args, **kwargs))

    for name in ("candidate", spec.param, spec.entry):
        if name and (name == "candidate" or name == spec.param or name not in tg):
            tg[name] = candidate
    watch_modules(guard, tg)
    guard.watch_dict("the test namespace", tg, False)


class UnitRunner:
    """Runs unittest test methods one at a time without unittest's runner
    or result classes: setUpClass once per class, then setUp, the method,
    tearDown and the cleanups, the verdict decided here from the exception
    raised (SkipTest: skipped; AssertionError: fail; anything else: error).
    Classes and methods are looked up now, before the program runs."""

    def __init__(self, tg, tests, guard):
        import unittest
        self.Skip, self.TestCase = unittest.SkipTest, unittest.TestCase
        self.guard, self.cases, self.classes, self.last = guard, {}, {}, {}
        watch_unittest(guard)
        for i, (kind, code) in enumerate(tests):
            if kind != "unit":
                continue
            cname, _, mname = code.partition(".")
            cls = tg.get(cname)
            if not (isinstance(cls, type) and issubclass(cls, self.TestCase)):
                self.cases[i] = "%s is not a unittest.TestCase class" % cname
                continue
            fn = getattr(cls, mname, None)
            if not callable(fn):
                self.cases[i] = "%s has no test method %s" % (cname, mname)
                continue
            skip = getattr(cls, "__unittest_skip__", False) and (getattr(cls, "__unittest_skip_why__", "") or "skipped")
            self.cases[i] = (cls, mname, fn, bool(getattr(fn, "__unittest_expecting_failure__", False)), skip)
            if cls not in self.classes:
                self.classes[cls] = None
                guard.watch_dict(cname, cls.__dict__, True)
            self.last[cls] = i
        self.setup_module, self.module_error = tg.get("setUpModule"), None

    def run(self, i, _describe=describe, _Base=BaseException, _str=str, _type=type):
        case = self.cases.get(i)
        if case is None or _type(case) is _str:
            return {"i": i, "e": case or "not a unittest test"}
        cls, name, fn, expecting, skip = case
        if skip:
            return {"i": i, "s": "class skipped: %s" % skip}
        if self.setup_module is not None:
            m, self.setup_module = self.setup_module, None
            try:
                m()
            except _Base as e:
                self.module_error = "setUpModule: " + _describe(e)
        if self.module_error is not None:
            return {"i": i, "e": self.module_error}
        if self.classes[cls] is None:
            self.classes[cls] = ()
            try:
                cls.setUpClass()
            except self.Skip as e:
                self.classes[cls] = ("s", "class skipped: " + _describe(e))
            except _Base as e:
                self.classes[cls] = ("e", "setUpClass: " + _describe(e))
        if self.classes[cls]:
            k, why = self.classes[cls]
            return {"i": i, k: why}
        try:
            return self.method(i, cls, name, fn, expecting)
        finally:
            if self.last[cls] == i and not self.classes[cls]:
                try:
                    cls.tearDownClass()
                except _Base:
                    pass

    def method(self, i, cls, name, fn, expecting, _describe=describe, _Base=BaseException,
               _Assert=AssertionError, _Tampered=Tampered, _dict=dict, _same=same, _tuple=tuple):
        def flat(d):
            return _tuple([x for kv in _dict(d).items() for x in kv])

        outcome = None
        try:
            inst = cls(name)
            try:
                inst.setUp()
                funcs = inst._type_equality_funcs
                snap = flat(funcs)
                try:
                    if fn(inst) is not None:
                        outcome = {"i": i, "e": "the test method returned a value (async tests are not run)"}
                finally:
                    inst.tearDown()
                    if inst._type_equality_funcs is not funcs or not _same(flat(funcs), snap):
                        raise _Tampered("the program changed the test's assertEqual functions")
                    for k in _dict(inst.__dict__):
                        if k in self.TestCase.__dict__:
                            raise _Tampered("the program shadowed %s on the test case" % k)
            finally:
                inst.doCleanups()
        except _Tampered as e:
            return {"i": i, "e": _describe(e)}
        except self.Skip as e:
            return {"i": i, "s": _describe(e)}
        except _Assert as e:
            outcome = {"i": i, "f": _describe(e)}
        except _Base as e:
            outcome = {"i": i, "e": _describe(e)}
        if expecting:
            if outcome is None:
                return {"i": i, "f": "unexpected success (the test expects a failure)"}
            return {"i": i, "ok": 1}
        return outcome or {"i": i, "ok": 1}
