# Part of the runner's Python worker; see worker_common.py.

# ---------------------------------------------------------------- analyze

def analyze_test(src, ser):
    """Classify one test: eq (expr + expected literal), inside, or bad."""
    try:
        mod = ast.parse(src)
    except SyntaxError as e:
        return {"kind": "bad", "reason": "test does not parse: %s" % e.msg}
    if len(mod.body) == 1 and isinstance(mod.body[0], ast.Assert):
        t = mod.body[0].test
        if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.Eq):
            for expr, lit in ((t.left, t.comparators[0]), (t.comparators[0], t.left)):
                try:
                    value = ast.literal_eval(lit)
                except Exception:
                    continue
                try:
                    ast.literal_eval(expr)
                    break  # both sides literal: nothing to evaluate, run inside
                except Exception:
                    pass
                try:
                    return {"kind": "eq", "expr": "(%s)" % ast.get_source_segment(src, expr), "want": ser(value)}
                except Unserialisable:
                    break
    return {"kind": "inside", "code": src}


def uses_name(node, name):
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def split_check(test_src, entry_point):
    """Split a HumanEval test module into per-assert tests, or the single
    test check(candidate). The module itself runs in the sandbox as the
    test namespace; param is the name check gives its parameter, which the
    asserts use."""
    whole = {"tests": ["check(candidate)"], "param": ""}
    try:
        mod = ast.parse(test_src)
    except SyntaxError:
        return whole
    checks = [n for n in mod.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
    if len(checks) != 1 or len(checks[0].args.args) != 1:
        return whole
    fn = checks[0]
    param = fn.args.args[0].arg
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body or not all(isinstance(s, ast.Assert) for s in body):
        return whole
    tests = [ast.unparse(s) for s in body if uses_name(s, param)]  # `assert True, "..."` tests nothing
    return {"tests": tests, "param": param} if tests else whole


def unit_tests(src):
    """The test methods of a unittest module, as Class.method: module-level
    classes deriving from a name ending in TestCase or from such a class of
    the module; their methods named test* (inherited ones included), each
    class's sorted by name as unittest's loader sorts them."""
    try:
        mod = ast.parse(src)
    except SyntaxError as e:
        return {"error": "test module does not parse: %s (line %s)" % (e.msg, e.lineno)}
    found = {}  # class name -> set of test method names
    out = []
    for node in mod.body:
        if not isinstance(node, ast.ClassDef):
            continue
        names = set()
        is_test = False
        for b in node.bases:
            base = b.attr if isinstance(b, ast.Attribute) else b.id if isinstance(b, ast.Name) else ""
            if base in found:
                names |= found[base]
                is_test = True
            elif base.endswith("TestCase"):
                is_test = True
        if not is_test:
            continue
        for s in node.body:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name.startswith("test"):
                names.add(s.name)
            elif isinstance(s, ast.Assign):
                names -= {t.id for t in s.targets if isinstance(t, ast.Name)}
        found[node.name] = names
        out += ["%s.%s" % (node.name, m) for m in sorted(names)]
    return {"tests": out}


def analyze_main():
    global ast
    import ast  # only the analyzer parses; the fork server stays smaller
    ser = make_serialiser(1 << 20, 100)
    while True:
        try:
            req = read_frame()
        except EOFError:
            return
        if "he" in req:
            he = req["he"]
            write_frame(split_check(he["test"], he["entry_point"]))
        elif "unittest" in req:
            write_frame(unit_tests(req["unittest"]))
        else:
            write_frame({"tests": [analyze_test(t, ser) for t in req["tests"]]})
