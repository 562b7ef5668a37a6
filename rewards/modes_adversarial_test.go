package rewards

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// modeAttack is one attack on a test style: the job, the exact verdicts
// and a substring of each verdict's reason ("" means any).
type modeAttack struct {
	name   string
	job    Job
	want   []Status
	reason []string
	needs  string // protection that must be in force, else skip
}

func runModeAttacks(t *testing.T, r *Runner, attacks []modeAttack) {
	t.Helper()
	have := map[string]bool{}
	for _, p := range r.Protections() {
		have[p] = true
	}
	for _, tc := range attacks {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needs != "" && !have[tc.needs] {
				t.Skipf("protection %q not in force on this host (needs root)", tc.needs)
			}
			tc.job.ID = tc.name
			res, err := r.Do(context.Background(), tc.job)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, statuses(res)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s%+v", diff, res.Tests)
			}
			for i, v := range res.Tests {
				if i < len(tc.reason) && !strings.Contains(v.Reason, tc.reason[i]) {
					t.Errorf("test %d: reason %q, want it to contain %q", i, v.Reason, tc.reason[i])
				}
			}
			assertPoolIntact(t, r)
		})
	}
}

// heCheck tests f(x) = 2x through the builtins, a module and a literal;
// every assert uses the candidate, so it splits into four tests.
const heCheck = `import math

def check(candidate):
    assert abs(candidate(1.0) - 2.0) < 1e-9
    assert math.isclose(candidate(2.0), 4.0)
    assert all([candidate(3.0) == 6.0])
    assert candidate(4.0) == 8.0
`

// heLoop is a check with a loop, which runs whole.
const heLoop = `def check(candidate):
    for x in range(3):
        assert abs(candidate(float(x)) - 2.0 * x) < 1e-9
    assert candidate(5.0) == 10.0
`

// findTestNamespace walks up the caller's frames to the tests' globals.
const findTestNamespace = "import sys\ndef tests_globals():\n    fr = sys._getframe(1)\n" +
	"    while fr is not None and fr.f_globals.get('__name__') != '__tests__':\n        fr = fr.f_back\n    return fr.f_globals\n"

// TestHumanEvalAdversarial: programs that patch what check relies on get
// no pass. Each HumanEval attack runs on the split check (four tests) and
// on the check that runs whole.
func TestHumanEvalAdversarial(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{Timeout: time.Second})
	he := func(program string) Job { return Job{Program: program, Test: heCheck, EntryPoint: "f"} }
	loop := func(program string) Job { return Job{Program: program, Test: heLoop, EntryPoint: "f"} }
	four := func(s Status) []Status { return []Status{s, s, s, s} }
	attacks := []modeAttack{
		{name: "honest", job: he("def f(x):\n    return 2 * x\n"), want: four(StatusPass)},
		{name: "honest whole", job: loop("def f(x):\n    return 2 * x\n"), want: []Status{StatusPass}},
		{
			name: "builtins patched at load",
			job: he("import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.all = lambda x: True\n" +
				"builtins.isinstance = lambda *a: True\nbuiltins.AssertionError = ZeroDivisionError\ndef f(x):\n    return 0.0\n"),
			want:   four(StatusFail),
			reason: []string{"AssertionError", "AssertionError", "AssertionError", "got 0.0, want 8.0"},
		},
		{
			name:   "builtins shadowed by the program's globals",
			job:    he("def abs(x):\n    return 0\ndef all(x):\n    return True\nclass math:\n    isclose = staticmethod(lambda *a, **k: True)\ndef f(x):\n    return 0.0\n"),
			want:   four(StatusFail),
			reason: []string{"AssertionError", "AssertionError", "AssertionError", ""},
		},
		{
			name: "builtins and module patched during the call",
			job: he("import builtins, math\ndef f(x):\n    builtins.abs = lambda v: 0\n    builtins.all = lambda v: True\n" +
				"    math.isclose = lambda *a, **k: True\n    return 0.0\n"),
			want:   []Status{StatusFail, StatusError, StatusError, StatusError},
			reason: []string{"AssertionError", "the program changed math.isclose", "math.isclose", "math.isclose"},
		},
		{
			name:   "module replaced in sys.modules",
			job:    he("import sys, types\nm = types.ModuleType('math')\nm.isclose = lambda *a, **k: True\nsys.modules['math'] = m\ndef f(x):\n    return 0.0\n"),
			want:   four(StatusFail),
			reason: []string{"AssertionError", "AssertionError"},
		},
		{
			name: "candidate replaced through the program's globals",
			job: loop("def f(x):\n    globals()['candidate'] = lambda v: 2 * v\n    globals()['f'] = lambda v: 2 * v\n" +
				"    return 2 * x if x == 0 else -1\n"),
			want:   []Status{StatusFail},
			reason: []string{"AssertionError"},
		},
		{
			name: "candidate replaced through the caller's frames",
			job: loop(findTestNamespace + "def f(x):\n    tests_globals()['candidate'] = lambda v: 2 * v\n" +
				"    tests_globals()['abs'] = lambda v: 0\n    return 2 * x if x in (0, 5) else -1\n"),
			want:   []Status{StatusError},
			reason: []string{"the program changed"},
		},
		{
			name:   "check's code replaced through the caller's frames",
			job:    loop(findTestNamespace + "def f(x):\n    g = tests_globals()\n    g['check'].__code__ = (lambda c: None).__code__\n    return 2 * x\n"),
			want:   []Status{StatusError},
			reason: []string{"the program changed the test namespace.check"},
		},
		{
			name: "result with a custom __eq__",
			job: he("class A(float):\n    def __eq__(self, o):\n        return True\n    def __sub__(self, o):\n        return 0.0\n" +
				"    __hash__ = float.__hash__\ndef f(x):\n    return A(0)\n"),
			want:   four(StatusError),
			reason: []string{"returned a A, not a built-in value", "returned a A", "returned a A", "returned a A"},
		},
		{
			name:   "result with a custom __eq__ in a whole check",
			job:    loop("class A:\n    def __eq__(self, o):\n        return True\n    def __sub__(self, o):\n        return 0.0\n    def __rsub__(self, o):\n        return 0.0\ndef f(x):\n    return A()\n"),
			want:   []Status{StatusError},
			reason: []string{"returned a A, not a built-in value"},
		},
		{
			name:   "sys.exit(0) mid-check",
			job:    loop("import sys\ndef f(x):\n    if x > 0:\n        sys.exit(0)\n    return 0.0\n"),
			want:   []Status{StatusError},
			reason: []string{"SystemExit"},
		},
		{
			name:   "os._exit(0) mid-check",
			job:    loop("import os\ndef f(x):\n    if x > 0:\n        os._exit(0)\n    return 0.0\n"),
			want:   []Status{StatusCrash},
			reason: []string{"exited with status 0 during the test"},
		},
		{
			name:   "os._exit(0) at load",
			job:    he("import os\ndef f(x):\n    return 2 * x\nos._exit(0)\n"),
			want:   four(StatusCrash),
			reason: []string{"while loading"},
		},
	}
	runModeAttacks(t, r, attacks)
}

// TestValueCaseAdversarial: programs cannot pass a value case by returning
// objects that claim equality, by relying on arguments they mutated, or
// by finding the expected value: it never enters the sandbox.
func TestValueCaseAdversarial(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{Timeout: 2 * time.Second})
	calls := rawCalls(`[[1, 2]]`, `[[1, 2]]`, `[[[3], 4]]`)
	exp := canonicalOutputs(t, r, "def f(xs):\n    return len(xs) + 1\n", "f", calls)
	job := func(program string) Job { return Job{Program: program, EntryPoint: "f", Calls: calls, Expected: exp} }
	canary := rawCalls(`[]`)
	secret := canonicalOutputs(t, r, "def f():\n    return bytes.fromhex('4558504543545f43414e4152595f6239').decode()\n", "f", canary)
	attacks := []modeAttack{
		{
			name:   "always-equal object",
			job:    job("class A:\n    def __eq__(self, o):\n        return True\n    __hash__ = None\ndef f(xs):\n    return A()\n"),
			want:   []Status{StatusFail, StatusFail, StatusFail},
			reason: []string{"returned a A, not a built-in value"},
		},
		{
			name:   "int subclass and list subclass",
			job:    job("class I(int):\n    def __eq__(self, o):\n        return True\n    __hash__ = int.__hash__\nclass L(list):\n    pass\ndef f(xs):\n    return I(0) if len(xs) == 2 else L([1])\n"),
			want:   []Status{StatusFail, StatusFail, StatusFail},
			reason: []string{"returned a I", "returned a I", "returned a I"},
		},
		{
			// Each call gets fresh arguments: appending to them does not
			// reach the next call (which would then see 3 items).
			name: "arguments mutated between calls",
			job:  job("def f(xs):\n    xs.append(0)\n    if isinstance(xs[0], list):\n        xs[0].append(9)\n    return len(xs)\n"),
			want: []Status{StatusPass, StatusPass, StatusPass},
		},
		{
			name: "json, copy and builtins patched at load",
			job: job("import builtins, json, copy\njson.loads = lambda *a, **k: [[]]\ncopy.deepcopy = lambda x, *a: x\n" +
				"builtins.list = tuple\nbuiltins.type = lambda *a: int\nbuiltins.isinstance = lambda *a: True\ndef f(xs):\n    xs.append(0)\n    return len(xs)\n"),
			want: []Status{StatusPass, StatusPass, StatusPass},
		},
		{
			name:   "exits during calls",
			job:    job("import os, sys\ndef f(xs):\n    if isinstance(xs[0], list):\n        os._exit(0)\n    sys.exit(0)\n"),
			want:   []Status{StatusError, StatusError, StatusCrash},
			reason: []string{"SystemExit", "SystemExit", "exited with status 0 during the test"},
		},
		{
			name: "searching for the expected value",
			job: Job{Program: scanMemory + "needle = bytes.fromhex('4558504543545f43414e4152595f6239')\nskip = (id(needle), id(needle) + 64 + len(needle))\n" +
				"import gc, sys, os\ndef f():\n" +
				"    target = 'EXPECT' + '_CANARY'\n    for o in gc.get_objects():\n        if isinstance(o, str) and o.startswith(target) and o != target:\n            return o\n" +
				"    fr = sys._getframe()\n    while fr is not None:\n        for c in fr.f_code.co_consts + tuple(fr.f_locals.values()):\n" +
				"            if isinstance(c, str) and c.startswith(target) and c != target:\n                return c\n        fr = fr.f_back\n" +
				"    for pid in os.listdir('/proc'):\n        try:\n            with open('/proc/%s/mem' % pid, 'rb') as m:\n                return 'opened memory of ' + pid\n        except (OSError, ValueError):\n            pass\n" +
				"    return 'found %d' % leaked()\n",
				EntryPoint: "f", Calls: canary, Expected: secret},
			want:   []Status{StatusFail},
			reason: []string{"got \"found 0\""},
			needs:  ProtUID,
		},
	}
	runModeAttacks(t, r, attacks)
}

// TestIOAdversarial: a program cannot pass stdin/stdout cases without
// computing the answers from the input.
func TestIOAdversarial(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{Timeout: 2 * time.Second})
	cases := []IOCase{{Input: "1 2\n", Output: "3\n"}, {Input: "5 5\n", Output: "10\n"}}
	job := func(program string) Job { return Job{Program: program, IO: cases} }
	secretCase := []IOCase{{Input: "ignored\n", Output: "EXPECTED_OUTPUT_CANARY_51d7\n"}}
	attacks := []modeAttack{
		{
			name:   "prints the first answer without reading",
			job:    job("print(3)\n"),
			want:   []Status{StatusPass, StatusFail},
			reason: []string{"", `got "3", want "10"`},
		},
		{
			name: "searches files, processes and its memory for the expected output",
			job: Job{IO: secretCase, Program: scanMemory + "needle = bytes.fromhex('45585045435445445f4f55545055545f43414e4152595f35316437')\nskip = (id(needle), id(needle) + 64 + len(needle))\n" +
				"import os, gc\ntarget = 'EXPECTED_OUTPUT' + '_CANARY'\nfound = []\n" +
				"for root in ('/tmp', '/proc', '/dev', '/usr/share'):\n    for d, _, files in os.walk(root):\n        if d.count('/') > 3:\n            continue\n" +
				"        for fn in files[:200]:\n            try:\n                with open(os.path.join(d, fn), 'rb') as fh:\n                    if target.encode() in fh.read(1 << 16):\n                        found.append(d + '/' + fn)\n" +
				"            except (OSError, ValueError):\n                pass\n" +
				"for pid in ('1', str(os.getppid())):\n    try:\n        with open('/proc/%s/mem' % pid, 'rb') as m:\n            found.append('mem of ' + pid)\n    except OSError:\n        pass\n" +
				"found += [o for o in gc.get_objects() if isinstance(o, str) and o.startswith(target) and o != target]\n" +
				"print(found[0] if found else 'found %d' % leaked())\n"},
			want:   []Status{StatusFail},
			reason: []string{`got "found 0"`},
			needs:  ProtUID,
		},
		{
			name:   "os._exit(0) after partial output",
			job:    job("import os, sys\na, b = map(int, input().split())\nsys.stdout.write(str(a + b)[:1])\nsys.stdout.flush()\nos._exit(0)\n"),
			want:   []Status{StatusCrash, StatusCrash},
			reason: []string{"exited with status 0", "exited with status 0"},
		},
		{
			// Only a program that runs to its end passes, even when what
			// it flushed before os._exit was right.
			name:   "os._exit(0) after the full output",
			job:    job("import os\nprint(sum(map(int, input().split())), flush=True)\nos._exit(0)\n"),
			want:   []Status{StatusCrash, StatusCrash},
			reason: []string{"exited with status 0"},
		},
		{
			name:   "stdout flood",
			job:    job("import sys\nwhile True:\n    sys.stdout.write('3\\n' * 4096)\n"),
			want:   []Status{StatusFail, StatusFail},
			reason: []string{"stdout exceeded", "stdout exceeded"},
		},
		{
			name: "forged records",
			job: job("import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'{\"i\": 0, \"io\": null}\\n{\"i\": 1, \"io\": null}\\n{\"i\": 0, \"v\": [\"i\", \"0x3\"]}\\n')\n" +
				"    except OSError:\n        pass\nprint(7)\n"),
			want: []Status{StatusFail, StatusCrash},
		},
		{
			name:   "stderr flood and a silent stdout",
			job:    job("import sys\nfor _ in range(2000):\n    sys.stderr.write('3\\n' * 1000)\n"),
			want:   []Status{StatusFail, StatusFail},
			reason: []string{"got 0 lines, want 1"},
		},
	}
	start := time.Now()
	runModeAttacks(t, r, attacks)
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("attacks took %v", d)
	}
}

// unitModule tests task_func(x) = x + 1 with three methods.
const unitModule = `import unittest

class T(unittest.TestCase):
    def test_one(self):
        self.assertEqual(task_func(1), 2)
    def test_three(self):
        self.assertTrue(task_func(3) == 4)
    def test_two(self):
        self.assertEqual(task_func(2), 3)
`

// TestUnitTestAdversarial: exits, patched unittest machinery and skips
// get no pass.
func TestUnitTestAdversarial(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{Timeout: 2 * time.Second})
	job := func(program string) Job { return Job{Program: program, UnitTest: unitModule} }
	three := func(s Status) []Status { return []Status{s, s, s} }
	attacks := []modeAttack{
		{name: "honest", job: job("def task_func(x):\n    return x + 1\n"), want: three(StatusPass)},
		{name: "os._exit(0) at import", job: job("import os\nos._exit(0)\n"), want: three(StatusCrash), reason: []string{"while loading"}},
		{name: "sys.exit(0) at import", job: job("import sys\nsys.exit(0)\n"), want: three(StatusError), reason: []string{"program: SystemExit"}},
		{
			name: "os._exit(0) in the function", job: job("import os\ndef task_func(x):\n    os._exit(0)\n"),
			want: three(StatusCrash), reason: []string{"during the test", "during the test", "during the test"},
		},
		{name: "sys.exit(0) in the function", job: job("import sys\ndef task_func(x):\n    sys.exit(0)\n"), want: three(StatusError), reason: []string{"SystemExit"}},
		{
			name: "assertions patched at import",
			job: job("import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\nunittest.TestCase.assertTrue = lambda *a, **k: None\n" +
				"def task_func(x):\n    return 0\n"),
			want: three(StatusError), reason: []string{"the program changed unittest.case.TestCase.assert"},
		},
		{
			name: "assertions patched in the function",
			job: job("import unittest\ndef task_func(x):\n    unittest.TestCase.assertEqual = lambda *a, **k: None\n" +
				"    unittest.TestCase.assertTrue = lambda *a, **k: None\n    return 0\n"),
			want: three(StatusError), reason: []string{"the program changed unittest.case.TestCase.assert"},
		},
		{
			name: "assertion code replaced",
			job: job("import unittest\ndef task_func(x):\n    unittest.TestCase.assertEqual.__code__ = (lambda *a, **k: None).__code__\n" +
				"    unittest.TestCase.assertTrue.__code__ = (lambda *a, **k: None).__code__\n    return 0\n"),
			want: three(StatusError), reason: []string{"the program changed unittest.case.TestCase.assert"},
		},
		{
			name: "result and runner patched",
			job: job("import unittest\nunittest.TestResult.addFailure = lambda *a: None\nunittest.TestResult.wasSuccessful = lambda *a: True\n" +
				"unittest.TestResult.addError = lambda *a: None\nunittest.TextTestRunner.run = lambda *a: None\ndef task_func(x):\n    return 0\n"),
			want: three(StatusFail), reason: []string{"AssertionError: 0 != 2", "AssertionError: False is not true"},
		},
		{
			name: "failureException patched",
			job:  job("import unittest\ndef task_func(x):\n    unittest.TestCase.failureException = KeyboardInterrupt\n    return 0\n"),
			want: three(StatusError), reason: []string{"failureException"},
		},
		{
			name: "test case instance patched through the frames",
			job: job("import sys\ndef task_func(x):\n    self = sys._getframe(1).f_locals['self']\n    self.assertEqual = lambda *a, **k: None\n" +
				"    self.assertTrue = lambda *a, **k: None\n    self._type_equality_funcs[int] = lambda *a, **k: None\n    return 0\n"),
			want: three(StatusError), reason: []string{"the program changed the test's assertEqual functions"},
		},
		{
			name:   "SkipTest raised",
			job:    job("import unittest\ndef task_func(x):\n    raise unittest.SkipTest('not now')\n"),
			want:   three(StatusSkipped),
			reason: []string{"not now"},
		},
		{
			name: "tests marked as expected failures",
			job: job("import gc\ndef task_func(x):\n    for o in gc.get_objects():\n" +
				"        if getattr(o, '__name__', '').startswith('test_') and callable(o):\n            o.__unittest_expecting_failure__ = True\n    return 0\n"),
			want: three(StatusFail),
		},
		{
			name: "unittest replaced in sys.modules",
			job: job("import sys, types\nfake = types.ModuleType('unittest')\nclass TestCase:\n    def __init__(self, *a):\n        pass\n" +
				"    def __getattr__(self, k):\n        return lambda *a, **k: None\nfake.TestCase = TestCase\nsys.modules['unittest'] = fake\n" +
				"def task_func(x):\n    return 0\n"),
			want: three(StatusFail),
		},
	}
	runModeAttacks(t, r, attacks)
}
