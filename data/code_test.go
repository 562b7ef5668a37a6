package data

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExtractCode(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"python fence", "Here:\n```python\ndef f():\n    return 1\n```\nDone.", "def f():\n    return 1\n"},
		{"python after other fence", "```text\nnote\n```\n```py\nx = 1\n```", "x = 1\n"},
		{"bare fence", "```\ny = 2\n```", "y = 2\n"},
		{"prefilled open fence", "Below:\n```python\ndef g(): pass\n```", "def g(): pass\n"},
		{"unterminated", "```python\nz = 3\n", "z = 3\n"},
		{"no fence", "w = 4\n\n", "w = 4\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ExtractCode(tc.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompletionCode(t *testing.T) {
	pre := "Below is a script:\n```python\n"
	tests := []struct{ name, reply, wantCompletion, wantCode string }{
		{"continues preamble", "def f():\n    return 1\n```\n", pre + "def f():\n    return 1\n```\n", "def f():\n    return 1\n"},
		{"own fence", "```python\nx = 1\n```", "```python\nx = 1\n```", "x = 1\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, code := completionCode(pre, tc.reply)
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

func FuzzExtractCode(f *testing.F) {
	for _, s := range []string{"```python\nx\n```", "```", "a\n```py\nb", "``````\n```"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code := ExtractCode(s)
		if !strings.HasSuffix(code, "\n") {
			t.Fatalf("ExtractCode(%q) = %q lacks final newline", s, code)
		}
		if len(code) > len(s)+1 {
			t.Fatalf("ExtractCode(%q) grew the text: %q", s, code)
		}
		StripPrints(s)
	})
}
