package rewards

import (
	"fmt"
	"math"
	"math/big"
	"strings"
)

// Comparisons of value cases and stdin/stdout cases, made outside the
// sandbox. Pure functions.

// evalPlusRtol is the relative tolerance EvalPlus passes to np.allclose
// (np.testing.assert_allclose's default).
const evalPlusRtol = 1e-7

// valueMatch reproduces EvalPlus's output check (evalplus/eval/__init__.py,
// unsafe_execute), given the candidate's and the canonical solution's
// values as the sandbox serialised them:
//
//	exact := got == want                       (Python ==, built-in values)
//	if atol == 0 and want is a float, or a non-empty list or tuple of floats:
//	    atol = 1e-6
//	if not exact and atol != 0:
//	    type(got) == type(want), equal lengths, and
//	    |g - w| <= atol + 1e-7·|w| for every element    (np.allclose)
//	else: exact
//
// One departure: NaN equals NaN, at any depth (EvalPlus fails everyone when
// the canonical solution returns NaN, since nan != nan). Elementwise
// closeness applies to real numbers (bool, int, float) and to lists and
// tuples of them of equal shape; infinities are close only to themselves.
func valueMatch(got, want pyValue, atol float64) bool {
	if nanEqual(got, want) {
		return true
	}
	if atol == 0 && isFloats(want) {
		atol = 1e-6
	}
	if atol == 0 || got.kind != want.kind { // type(out) == type(exp)
		return false
	}
	return allClose(got, want, atol, 0)
}

// nanEqual is pyEqual with NaN equal to NaN.
func nanEqual(a, b pyValue) bool {
	if a.kind == 'f' && b.kind == 'f' && math.IsNaN(a.re) && math.IsNaN(b.re) {
		return true
	}
	if a.kind != b.kind || len(a.items) == 0 || len(a.items) != len(b.items) {
		return pyEqual(a, b)
	}
	switch a.kind {
	case 'l', 't', 'q':
		for i := range a.items {
			if !nanEqual(a.items[i], b.items[i]) {
				return false
			}
		}
		return true
	case 'd':
		// Keys are matched as Python matches them (NaN keys never are);
		// values may hold NaN.
		for i := 0; i < len(a.items); i += 2 {
			found := false
			for j := 0; j < len(b.items); j += 2 {
				if a.items[i].hashKey() == b.items[j].hashKey() {
					found = nanEqual(a.items[i+1], b.items[j+1])
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	return pyEqual(a, b)
}

func (v pyValue) isReal() bool { return v.kind == 'b' || v.kind == 'i' || v.kind == 'f' }

// isFloats is EvalPlus's is_floats: a float, or a non-empty list or tuple
// whose items are all floats.
func isFloats(v pyValue) bool {
	if v.kind == 'f' {
		return true
	}
	if (v.kind == 'l' || v.kind == 't') && len(v.items) > 0 {
		for _, x := range v.items {
			if x.kind != 'f' {
				return false
			}
		}
		return true
	}
	return false
}

// allClose is np.allclose(got, want, rtol=1e-7, atol=atol) for real
// numbers and equally shaped lists and tuples of them.
func allClose(got, want pyValue, atol float64, depth int) bool {
	if got.isReal() && want.isReal() {
		return within(got.float(), want.float(), atol)
	}
	seq := func(v pyValue) bool { return v.kind == 'l' || v.kind == 't' }
	if !seq(got) || !seq(want) || len(got.items) != len(want.items) || depth > maxValueDepth {
		return false
	}
	for i := range got.items {
		if !allClose(got.items[i], want.items[i], atol, depth+1) {
			return false
		}
	}
	return true
}

func within(g, w, atol float64) bool {
	switch {
	case math.IsNaN(g) || math.IsNaN(w):
		return math.IsNaN(g) && math.IsNaN(w)
	case math.IsInf(g, 0) || math.IsInf(w, 0):
		return g == w
	}
	return math.Abs(g-w) <= atol+evalPlusRtol*math.Abs(w)
}

// float is a real number as float64 (numpy's conversion of an int).
func (v pyValue) float() float64 {
	switch v.kind {
	case 'b':
		if v.b {
			return 1
		}
		return 0
	case 'i':
		f, _ := new(big.Float).SetInt(v.i).Float64()
		return f
	}
	return v.re
}

// outputMatch compares a program's stdout with a case's expected output:
//
//  1. Both are split into lines ("\r\n" counts as "\n"); trailing
//     whitespace (space, \t, \r, \v, \f) is cut from every line, and
//     trailing empty lines are dropped. Equal lists of lines match.
//  2. Otherwise the outputs match when they have the same number of lines
//     and each pair of lines has the same whitespace-separated tokens, so
//     runs of spaces and leading whitespace do not matter.
//
// Tokens are compared as text: no float tolerance, no case folding.
// On a mismatch the reason names the first differing line.
func outputMatch(got, want string) (bool, string) {
	g, w := outputLines(got), outputLines(want)
	if strings.Join(g, "\n") == strings.Join(w, "\n") {
		return true, ""
	}
	if len(g) != len(w) {
		return false, fmt.Sprintf("got %d lines, want %d; %s", len(g), len(w), firstDiff(g, w))
	}
	for i := range g {
		if !equalFields(g[i], w[i]) {
			return false, firstDiff(g, w)
		}
	}
	return true, ""
}

func outputLines(s string) []string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r\v\f")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func equalFields(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	if len(fa) != len(fb) {
		return false
	}
	for i := range fa {
		if fa[i] != fb[i] {
			return false
		}
	}
	return true
}

// firstDiff describes the first line where g and w differ.
func firstDiff(g, w []string) string {
	cut := func(s string) string {
		if len(s) > 80 {
			return s[:80] + "..."
		}
		return s
	}
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if !equalFields(a, b) || i >= len(g) || i >= len(w) {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, cut(a), cut(b))
		}
	}
	return ""
}
