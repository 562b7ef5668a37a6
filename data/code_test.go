package data

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompletionCode(t *testing.T) {
	pre := "Below is a script:\n```python\n"
	tests := []struct{ name, reply, wantCompletion, wantCode string }{
		{"continues preamble", "def f():\n    return 1\n```\n", pre + "def f():\n    return 1\n```\n", "def f():\n    return 1"},
		{"own fence", "```python\nx = 1\n```", "```python\nx = 1\n```", "x = 1"},
		{"prefers the entry point", "```python\ndef helper():\n    return 2\n\n\n\n```\n```python\ndef f():\n    return 1\n```", "```python\ndef helper():\n    return 2\n\n\n\n```\n```python\ndef f():\n    return 1\n```", "def f():\n    return 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, code := completionCode(pre, tc.reply, "f")
			if c != tc.wantCompletion || code != tc.wantCode {
				t.Errorf("completionCode = %q, %q; want %q, %q", c, code, tc.wantCompletion, tc.wantCode)
			}
		})
	}
}

func TestStripPrints(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"top level", "x = 1\nprint(x)\ny = 2", "x = 1\ny = 2"},
		{"indented becomes pass", "def f():\n    print('hi')\n", "def f():\n    pass\n"},
		{"multi-line call", "print(\n  1,\n  2)\nz = 3", "z = 3"},
		{"paren in string", "print(')')\nk = 1", "k = 1"},
		{"not a print", "printer(1)\nreprint = 2", "printer(1)\nreprint = 2"},
		{"print with space", "print (1)\nq = 1", "q = 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, StripPrints(tc.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A reply that continues the published preamble on its fence line is read
// with the fence line ended; the stored completion is what was written.
func TestCompletionCodeSameLine(t *testing.T) {
	pre := "tests:\n```python"
	c, code := completionCode(pre, "def f():\n    return 1\n```", "f")
	if c != pre+"def f():\n    return 1\n```" || code != "def f():\n    return 1" {
		t.Errorf("completionCode = %q, %q", c, code)
	}
	c, code = completionCode(pre, "\ndef f():\n    return 1\n```", "f")
	if c != pre+"\ndef f():\n    return 1\n```" || code != "def f():\n    return 1" {
		t.Errorf("completionCode = %q, %q", c, code)
	}
}
