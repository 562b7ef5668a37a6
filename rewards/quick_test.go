package rewards

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"acecoder/internal/shareddata"
)

// quickTraps are tests where a careless split at "==" would differ from
// Python's parse or from ast.literal_eval.
var quickTraps = []string{
	"assert f(x) == 1 or True", "assert not f(x) == 1", "assert f(x) == 1, 'msg'", "assert f(x) == 1 if c else 2",
	"assert f(x) == (1)", "assert (f(x)) == 1", "assert f(x) == -1", "assert f(x) == --1", "assert f(x) == +1",
	"assert f(x) == set()", "assert set() == f(x)", "assert f(x) == {1: 2, 1: 3}", "assert f(x) == {1, 1.0}",
	"assert f(x) == 'a' 'b'", `assert f(x) == '\d'`, "assert f(x) == 1_000", "assert f(x) == 0x10", "assert f(x) == 1j",
	"assert f(x) == 1e400", "assert f(x) == 1e-400", "assert f(x) == True == True", "assert f(x)==[1,2]", "assert [1, 2] == f(x)",
	`assert f(x) == "\u00e9\n\t"`, "assert f(x) == 'é'", `assert f(x) == r'\n'`, "assert f(x) == b'x'", "assert f(x) == f'{1}'",
	"assert f(x) == [(1, 'a'), {2: None}]", "assert f(x) == {(1, 2): [3]}", "assert f(x) == {[1]: 2}", "assert f(x) == 1 # c",
	"assert f(x) == 00", "assert f(x) == 1.", "assert f(x) == .5", "assert f(x) == 1E-5", "assert lambda: 1 == 1",
	"assert f(x) == lambda: 1", "assert f(x) == (yield)", "assert f(x) == ...", "assert x.y[1:2] == 'ab'", "assert f(x=1) == 2",
	"assert f(*a) == 3", "assert *a == 3", "assert f(x) == \\\n 3", "assert f(x) == '''a'''", `assert f(x) == "a'b"`,
	`assert f(x) == 'a\'b'`, "  assert f(x) == 1", "assert f(x) == 1;", "assert f(x) == 1; x = 2", "assert class == 1",
	"assert f(x) == None", "assert None == f(x)", "assert f(x) == (1,)", "assert f(x) == ()", "assert f(x) == {}",
	"assert f(x) == -0.0", "assert f(x) == 10**2", "assert f(x) == [1, 2,]", "assert f(x) == [1,, 2]", "assert f(x) == {1: 2, 3}",
	"assert g(f(x) == 1) == True", "assert f(x) <= 1 == 1", "assert f(x) in [1] == True", "assert f(x)is 1 == 1",
	"assert (a := f(x)) == 1", "assert a := f(x) == 1", "assert f(x) == 1and True", "assert f(x) == 1or 2",
	"assert f(x) == 1if 1 else 2", "assert f(x) == 1e5or 2", `assert f(x) == '\777'`, `assert f(x) == '\ud800'`,
	`assert f(x) == '\x41\101\U0001F600\0'`, `assert f(x) == "\N{BULLET}"`, "assert f(x) == [[[[1]]]]", "assertf(x) == 1",
	"assert\tf(x) == 1", "assert f(x) == True", "assert print == 1", "assert f(x) == 1\r\n", "assert f(x) == 1\n\n",
	"assert f('a==b') == 'x==y'", "assert f(x) == {'a': [1, {'b': (2.5, None)}]}", "assert f(x) == 123456789012345678901234567890",
	"assert f(x) == 0.1", "assert f(x) == [1, 2] + [3]", "assert f(x) == {True: 1, 2: 3}", "assert f(x) == (1, (2,), [])",
	"assert d['k'] == 1", "assert f(x)[0] == 'a'", "assert f(x).y == -2.5e10", "assert f(x) == -(1)", "assert -f(x) == 1",
	"assert f(x) == [set()]", "assert [f(x)] == [1]", "assert f(x) == 'x' if True else 'y'", "assert f(x) == 1.5j",
	"assert f(x) ==", "assert == 1", "assert f(x) == [1", "assert f(x)) == 1", "assert f(x) == {1: }", "assert f(x) == {:1}",
}

// quickCorpus gathers tests to check quickAnalyse on: the traps, MBPP's
// tests, the generated workload's, and HumanEval's check functions split
// into asserts by the analyzer.
func quickCorpus(t *testing.T, a *analyzer) []string {
	tests := append([]string{}, quickTraps...)
	for _, j := range BenchWorkload(60, 5, 9) {
		tests = append(tests, j.Tests...)
	}
	data := shareddata.Dir(t)
	if f, err := os.Open(data + "/benchmarks/mbpp/mbpp.jsonl"); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var row struct {
				Tests     []string `json:"test_list"`
				Challenge []string `json:"challenge_test_list"`
			}
			if json.Unmarshal(sc.Bytes(), &row) == nil {
				tests = append(tests, row.Tests...)
				tests = append(tests, row.Challenge...)
			}
		}
		f.Close()
	}
	for _, p := range loadHumanEval(t) {
		s, err := a.splitHumanEval(p.Test, p.EntryPoint)
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, s.Tests...)
	}
	return tests
}

// TestQuickMatchesAnalyzer: wherever quickAnalyse answers, the Python
// analyzer gives the same kind, an equal literal of the same shape, and an
// expression with the same syntax tree.
func TestQuickMatchesAnalyzer(t *testing.T) {
	a := newAnalyzer(context.Background(), "/usr/bin/python3")
	defer a.close()
	tests := quickCorpus(t, a)
	a.mu.Lock()
	py, err := a.python(tests)
	a.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	var exprs [][2]string
	var bad []string
	quick := 0
	for i, test := range tests {
		q, ok := quickAnalyse(test)
		if !ok {
			continue
		}
		quick++
		if py[i].Kind == kindBad {
			bad = append(bad, q.Code)
			continue
		}
		if py[i].Kind != kindEq || !sameValue(q.want, py[i].want) {
			t.Errorf("%q: quick gives %s %s, the analyzer %s %s", test, q.Kind, q.want.repr(), py[i].Kind, py[i].want.repr())
			continue
		}
		exprs = append(exprs, [2]string{q.Code, py[i].Code})
	}
	sameSyntax(t, exprs, bad)
	t.Logf("quickAnalyse answered %d of %d tests (%d traps)", quick, len(tests), len(quickTraps))
	if quick < len(tests)*8/10 {
		t.Errorf("quickAnalyse answered only %d of %d tests", quick, len(tests))
	}
}

// sameValue is equality of kinds and contents, stricter than pyEqual (1
// and 1.0 differ); the items of a set may come in any order.
func sameValue(a, b pyValue) bool {
	return strictKey(a) == strictKey(b)
}

func strictKey(v pyValue) string {
	keys := make([]string, len(v.items))
	for i, x := range v.items {
		keys[i] = strictKey(x)
	}
	if v.kind == 'e' {
		slices.Sort(keys)
	}
	if strings.IndexByte("ltdeq", v.kind) >= 0 {
		return fmt.Sprintf("%c[%s]", v.kind, strings.Join(keys, ","))
	}
	return fmt.Sprintf("%c%s", v.kind, v.repr())
}

// sameSyntax checks that each pair of expressions parses to the same
// tree, and that each of bad does not parse: where the analyzer finds that
// a test does not parse, quickAnalyse may answer only with an expression
// the sandbox will fail to compile, so the verdict is an error either way.
func sameSyntax(t *testing.T, pairs [][2]string, bad []string) {
	t.Helper()
	data, _ := json.Marshal(map[string]any{"pairs": pairs, "bad": bad})
	prog := `import ast, json, sys
req = json.load(sys.stdin)
for a, b in req["pairs"] or []:
    da, db = (ast.dump(ast.parse(x, mode="eval")) for x in (a, b))
    print("same" if da == db else "differ %r %r" % (a, b))
for a in req["bad"] or []:
    try:
        compile(a, "<test>", "eval")
        print("compiles, but the analyzer found the test does not parse: %r" % a)
    except SyntaxError:
        pass
`
	cmd := exec.Command("/usr/bin/python3", "-I", "-S", "-c", prog)
	cmd.Stdin = strings.NewReader(string(data))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "same" && line != "" {
			t.Error(line)
		}
	}
}

// FuzzQuickAnalyse: on any text quickAnalyse must not panic, and when it
// answers, the Python analyzer must agree (or find that the test does not
// parse, and then quickAnalyse's expression must not compile either).
func FuzzQuickAnalyse(f *testing.F) {
	for _, s := range quickTraps {
		f.Add(s)
	}
	a := newAnalyzer(context.Background(), "/usr/bin/python3")
	f.Cleanup(a.close)
	f.Fuzz(func(t *testing.T, test string) {
		q, ok := quickAnalyse(test)
		if !ok {
			return
		}
		a.mu.Lock()
		py, err := a.python([]string{test})
		a.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if py[0].Kind == kindBad {
			sameSyntax(t, nil, []string{q.Code})
			return
		}
		if py[0].Kind != kindEq || !sameValue(q.want, py[0].want) {
			t.Fatalf("%q: quick gives %s %s, the analyzer %s %s", test, q.Kind, q.want.repr(), py[0].Kind, py[0].want.repr())
		}
		sameSyntax(t, [][2]string{{q.Code, py[0].Code}}, nil)
	})
}
