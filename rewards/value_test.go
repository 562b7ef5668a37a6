package rewards

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// equalityPairs are Python literal pairs whose == the outside comparison
// must reproduce.
var equalityPairs = [][2]string{
	{"1", "1"}, {"1", "1.0"}, {"True", "1"}, {"False", "0.0"}, {"1", "(1+0j)"}, {"2**53 + 1", "float(2**53)"},
	{"0.1 + 0.2", "0.3"}, {"float('nan')", "float('nan')"}, {"float('inf')", "float('inf')"}, {"-0.0", "0.0"},
	{"10**40", "10**40"}, {"-(10**40)", "10**40"}, {"'a'", "'a'"}, {"'a'", "b'a'"}, {"'\\ud800'", "'\\ud800'"},
	{"'\\ud800'", "'\\ufffd'"}, {"[1, 2]", "(1, 2)"}, {"[1, [2, 3]]", "[1.0, [2, 3]]"}, {"(1,)", "(True,)"},
	{"{1: 'a', 2: 'b'}", "{2: 'b', 1.0: 'a'}"}, {"{1: 'a'}", "{1: 'b'}"}, {"{1, 2}", "frozenset({2.0, 1})"},
	{"{(1, 2)}", "{(1.0, 2)}"}, {"set()", "{}"}, {"None", "None"}, {"None", "0"}, {"[]", "()"}, {"''", "b''"},
	{"{'a': [1, {2}]}", "{'a': [1, {2.0}]}"}, {"(1+2j)", "(1+2j)"}, {"(1+2j)", "1"}, {"0.5", "(0.5+0j)"},
	{"{1: 2}", "{True: 2.0}"}, {"[1, 2]", "[2, 1]"}, {"{1.5: 'x'}", "{1.5: 'x'}"}, {"b'\\x00\\xff'", "b'\\x00\\xff'"},
	// Standard-library containers against literals.
	{"collections.Counter('abca')", "{'a': 2, 'b': 1, 'c': 1}"}, {"collections.Counter({'a': 0})", "{}"},
	{"collections.Counter({'a': 1})", "{'a': 1.0}"}, {"collections.defaultdict(list, {1: [2]})", "{1: [2]}"},
	{"collections.OrderedDict([(1, 2), (3, 4)])", "{3: 4, 1: 2}"}, {"collections.namedtuple('P', 'x y')(1, 2)", "(1, 2)"},
	{"collections.namedtuple('P', 'x y')(1, 2)", "[1, 2]"}, {"collections.deque([1, 2])", "[1, 2]"},
	{"collections.deque([1, 2])", "(1, 2)"}, {"[collections.Counter('a'), collections.namedtuple('Q', 'a')(3)]", "[{'a': 1}, (3,)]"},
}

// TestPyEqualMatchesPython serialises both sides with the worker's own
// serialiser and checks pyEqual against Python's ==.
func TestPyEqualMatchesPython(t *testing.T) {
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	var lines []string
	for _, p := range equalityPairs {
		lines = append(lines, p[0]+"\t"+p[1])
	}
	prog := `import sys, json, collections
src = open(sys.argv[1]).read()
g = {"__name__": "worker"}
exec(src, g)
ser = g["make_serialiser"](1000, 50)
for line in sys.argv[2].split("\n"):
    a, b = (eval(x) for x in line.split("\t"))
    print(json.dumps([ser(a), ser(b), a == b]))
`
	script := t.TempDir() + "/worker.py"
	if err := os.WriteFile(script, []byte(workerScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, "-I", "-S", "-c", prog, script, strings.Join(lines, "\n")).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	rows := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(rows) != len(equalityPairs) {
		t.Fatalf("got %d rows for %d pairs", len(rows), len(equalityPairs))
	}
	for i, row := range rows {
		var parts []json.RawMessage
		var want bool
		if err := json.Unmarshal([]byte(row), &parts); err != nil || len(parts) != 3 {
			t.Fatalf("row %q: %v", row, err)
		}
		json.Unmarshal(parts[2], &want)
		a, errA := decodeValue(parts[0])
		b, errB := decodeValue(parts[1])
		if errA != nil || errB != nil {
			t.Fatalf("decode %s: %v %v", row, errA, errB)
		}
		if got := pyEqual(a, b); got != want {
			t.Errorf("%s == %s: got %v, Python says %v", equalityPairs[i][0], equalityPairs[i][1], got, want)
		}
		if got := pyEqual(b, a); got != want {
			t.Errorf("%s == %s (swapped): got %v, Python says %v", equalityPairs[i][1], equalityPairs[i][0], got, want)
		}
	}
}

func TestReprOfValues(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"int", `["i","-0xff"]`, "-255"},
		{"float", `["f","0x1.8p+1"]`, "3.0"},
		{"list", `["l",[["s","a"],["b",true],["n"]]]`, `["a", True, None]`},
		{"tuple1", `["t",[["i","0x1"]]]`, "(1,)"},
		{"dict", `["d",[[["s","k"],["f","inf"]]]]`, `{"k": inf}`},
		{"bytes", `["y","00ff"]`, `b"\x00\xff"`},
		{"deque", `["q",[["i","0x1"],["i","0x2"]]]`, "deque([1, 2])"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := decodeValue(json.RawMessage(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if got := v.repr(); got != tc.want {
				t.Errorf("repr = %s, want %s", got, tc.want)
			}
		})
	}
}

// FuzzDecodeValue: malformed records from the sandbox must give errors,
// never panics, and a decoded value must equal itself unless it holds NaN.
func FuzzDecodeValue(f *testing.F) {
	for _, s := range []string{`["i","0x10"]`, `["l",[["f","nan"]]]`, `["d",[[["s","a"],["e",[]]]]]`, `["S","edb080"]`, `[]`, `["c","0x1p+0","-inf"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := decodeValue(json.RawMessage(s))
		if err != nil {
			return
		}
		_ = v.repr()
		if !strings.Contains(s, "nan") && !pyEqual(v, v) && !strings.Contains(s, `"d"`) && !strings.Contains(s, `"e"`) {
			t.Errorf("%s: value not equal to itself", s)
		}
	})
}
