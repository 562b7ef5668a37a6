package rewards

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

func mustValue(t testing.TB, raw string) pyValue {
	t.Helper()
	v, err := decodeValue(json.RawMessage(raw))
	if err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

func TestValueMatch(t *testing.T) {
	f := func(x float64) string { return `["f", "` + floatHex(x) + `"]` }
	tests := []struct {
		name      string
		got, want string
		atol      float64
		match     bool
	}{
		{"equal ints", `["i", "0x3"]`, `["i", "0x3"]`, 0, true},
		{"int vs float equal", `["i", "0x3"]`, f(3), 0, true},
		{"tuple vs tuple", `["t", [["i", "0x1"]]]`, `["t", [["i", "0x1"]]]`, 0, true},
		{"list vs tuple", `["l", [["i", "0x1"]]]`, `["t", [["i", "0x1"]]]`, 0, false},
		{"float default tolerance", f(0.1 + 0.2), f(0.3), 0, true},
		{"float beyond 1e-6", f(0.3 + 2e-6), f(0.3), 0, false},
		{"float within atol", f(1.0005), f(1), 1e-3, true},
		{"relative part of the tolerance", f(1e9 + 50), f(1e9), 1e-6, true},
		{"list of floats", `["l", [` + f(1.0000001) + `, ` + f(2) + `]]`, `["l", [` + f(1) + `, ` + f(2) + `]]`, 0, true},
		{"tuple of floats vs list", `["l", [` + f(1.0000001) + `]]`, `["t", [` + f(1) + `]]`, 0, false},
		{"list with an int is not floats", `["l", [` + f(1.0000001) + `, ["i", "0x2"]]]`, `["l", [` + f(1) + `, ["i", "0x2"]]]`, 0, false},
		{"list with an int and atol", `["l", [` + f(1.0000001) + `, ["i", "0x2"]]]`, `["l", [` + f(1) + `, ["i", "0x2"]]]`, 1e-6, true},
		{"int got for float want, not equal", `["i", "0x1"]`, f(1.0000001), 0, false},
		{"lengths differ", `["l", [` + f(1) + `]]`, `["l", [` + f(1) + `, ` + f(2) + `]]`, 1, false},
		{"nan equals nan", f(math.NaN()), f(math.NaN()), 0, true},
		{"nan in a list", `["l", [` + f(math.NaN()) + `, ["s", "a"]]]`, `["l", [` + f(math.NaN()) + `, ["s", "a"]]]`, 0, true},
		{"nan in a dict value", `["d", [[["s", "k"], ` + f(math.NaN()) + `]]]`, `["d", [[["s", "k"], ` + f(math.NaN()) + `]]]`, 0, true},
		{"nan vs number", f(math.NaN()), f(1), 1, false},
		{"inf vs inf", f(math.Inf(1)), f(math.Inf(1)), 0, true},
		{"inf vs big", f(1e308), f(math.Inf(1)), 1, false},
		{"strings never close", `["s", "a"]`, `["s", "b"]`, 1, false},
		{"bool vs int under atol", `["b", true]`, `["i", "0x1"]`, 1, true},
		{"nested lists of floats", `["l", [["l", [` + f(1.0000001) + `]]]]`, `["l", [["l", [` + f(1) + `]]]]`, 1e-6, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := valueMatch(mustValue(t, tc.got), mustValue(t, tc.want), tc.atol); got != tc.match {
				t.Errorf("valueMatch(%s, %s, %g) = %v, want %v", tc.got, tc.want, tc.atol, got, tc.match)
			}
		})
	}
}

// floatHex writes x as Python's float.hex does (what the sandbox sends).
func floatHex(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	return strconv.FormatFloat(x, 'x', -1, 64)
}

func TestOutputMatch(t *testing.T) {
	tests := []struct {
		name      string
		got, want string
		match     bool
		reason    string
	}{
		{"same", "1 2\n3\n", "1 2\n3\n", true, ""},
		{"no final newline", "1 2\n3", "1 2\n3\n", true, ""},
		{"trailing spaces and blank lines", "1 2  \n3\t\n\n\n", "1 2\n3", true, ""},
		{"crlf", "1 2\r\n3\r\n", "1 2\n3\n", true, ""},
		{"runs of spaces", "1   2\n  3\n", "1 2\n3\n", true, ""},
		{"empty", "", "\n\n", true, ""},
		{"different token", "1 2\n4\n", "1 2\n3\n", false, `line 2: got "4", want "3"`},
		{"missing line", "1 2\n", "1 2\n3\n", false, "got 1 lines, want 2"},
		{"extra line", "1 2\n3\n4\n", "1 2\n3\n", false, "got 3 lines, want 2"},
		{"inner blank line matters", "1\n\n2\n", "1\n2\n", false, "got 3 lines"},
		{"tokens split across lines", "1\n2\n", "1 2\n", false, "got 2 lines"},
		{"no float tolerance", "0.5000001\n", "0.5\n", false, "line 1"},
		{"case matters", "YES\n", "yes\n", false, "line 1"},
		{"leading blank line matters", "\n1\n", "1\n", false, "got 2 lines"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := outputMatch(tc.got, tc.want)
			if ok != tc.match || !strings.Contains(why, tc.reason) {
				t.Errorf("outputMatch(%q, %q) = %v, %q; want %v, %q", tc.got, tc.want, ok, why, tc.match, tc.reason)
			}
		})
	}
}

// FuzzOutputMatch: the comparison is reflexive and symmetric, ignores
// trailing whitespace and never panics.
func FuzzOutputMatch(f *testing.F) {
	f.Add("1 2\n3\n", "1  2\n3")
	f.Add("\r\n\t", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		if ok, _ := outputMatch(a, a); !ok {
			t.Fatalf("%q does not match itself", a)
		}
		ab, _ := outputMatch(a, b)
		ba, _ := outputMatch(b, a)
		if ab != ba {
			t.Fatalf("not symmetric on %q, %q", a, b)
		}
		if ok, _ := outputMatch(a+" \n\n", a); !ok {
			t.Fatalf("trailing whitespace after %q matters", a)
		}
	})
}

// FuzzValueMatch: comparing any two values the transport decodes (what
// the sandbox sends, and what Job.Expected holds) never panics, a value
// matches itself, and the stdout record's parser never panics.
func FuzzValueMatch(f *testing.F) {
	for _, s := range []string{`["i", "0x2a"]`, `["f", "nan"]`, `["l", [["t", []], ["d", [[["s", "k"], ["n"]]]]]]`,
		`["e", [["y", "00ff"]]]`, `["c", "0x1p+0", "-inf"]`, `["S", "eda080"]`, `["q", [["b", true]]]`, `[`, `["d", [[1]]]`} {
		f.Add([]byte(s), []byte(`["l", [["f", "0x1p-3"]]]`), 1e-6)
	}
	f.Add([]byte(`["x\n", null]`), []byte(`["", "SystemExit: 1"]`), 0.0)
	f.Fuzz(func(t *testing.T, a, b []byte, atol float64) {
		decodeStdout(a)
		va, errA := decodeValue(a)
		vb, errB := decodeValue(b)
		if errA != nil {
			return
		}
		if !valueMatch(va, va, 0) && !containsNaN(va) {
			t.Fatalf("%s does not match itself", a)
		}
		if errB == nil {
			valueMatch(va, vb, math.Abs(atol))
		}
	})
}

// containsNaN: a complex NaN never equals itself (Python agrees).
func containsNaN(v pyValue) bool {
	if v.kind == 'f' || v.kind == 'c' {
		return math.IsNaN(v.re) || math.IsNaN(v.im)
	}
	for _, x := range v.items {
		if containsNaN(x) {
			return true
		}
	}
	return false
}
