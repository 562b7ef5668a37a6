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
    """Split a HumanEval test module into setup code and per-assert tests."""
    setup = test_src + "\n\ncandidate = %s\n" % entry_point
    whole = {"setup": setup, "tests": ["check(%s)" % entry_point]}
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
    tests = []
    for s in body:
        if not uses_name(s, param):
            continue  # e.g. `assert True, "..."`: tests nothing
        tests.append(ast.unparse(s))
    if param != "candidate":
        setup += "%s = candidate\n" % param
    return {"setup": setup, "tests": tests} if tests else whole


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
        else:
            write_frame({"tests": [analyze_test(t, ser) for t in req["tests"]]})
