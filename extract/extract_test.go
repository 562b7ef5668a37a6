package extract

import (
	"strings"
	"testing"
)

func TestProgram(t *testing.T) {
	tests := []struct {
		name, completion, entry, want string
	}{
		{
			name:       "single fenced block",
			completion: "Here is the solution:\n```python\ndef f(x):\n    return x\n```\nIt returns x.",
			entry:      "f",
			want:       "def f(x):\n    return x",
		},
		{
			name:       "keeps the block defining the entry point",
			completion: "```python\nprint(f(3))\nprint(f(4))\nprint(f(5))\n```\n\n```python\ndef f(x):\n    return x + 1\n```\n",
			entry:      "f",
			want:       "def f(x):\n    return x + 1",
		},
		{
			name:       "longest block without entry point",
			completion: "```\nx = 1\n```\n```py\nimport math\ny = math.pi\n```",
			entry:      "g",
			want:       "import math\ny = math.pi",
		},
		{
			name:       "ignores other languages",
			completion: "```bash\npip install numpy\n```\n```python\ndef f():\n    pass\n```",
			entry:      "f",
			want:       "def f():\n    pass",
		},
		{
			name:       "unclosed block at the end",
			completion: "Sure.\n```python\ndef f(a, b):\n    return a * b\n",
			entry:      "f",
			want:       "def f(a, b):\n    return a * b",
		},
		{
			name:       "no fences: prose around code",
			completion: "Let me think about this.\nThe answer uses a loop.\n\nimport os\n\ndef f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n\nThis runs in linear time.",
			entry:      "f",
			want:       "import os\n\ndef f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total",
		},
		{
			name:       "no code at all",
			completion: "I cannot help with that.\n",
			entry:      "f",
			want:       "I cannot help with that.",
		},
		{
			name:       "CRLF line endings",
			completion: "```python\r\ndef f():\r\n    return 1\r\n```\r\n",
			entry:      "f",
			want:       "def f():\n    return 1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Program(tc.completion, tc.entry); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// FuzzProgram: no panics; every returned line comes from the
// completion; a completion that is one python block defining the entry
// point yields a program that defines it.
func FuzzProgram(f *testing.F) {
	f.Add("```python\ndef f():\n    return 1\n```", "f")
	f.Add("text\ndef g(x):\n  return x\nmore text", "g")
	f.Add("```\n```python\n", "")
	f.Add("x = 1\n\n\n```py", "x")
	f.Fuzz(func(t *testing.T, completion, entry string) {
		got := Program(completion, entry)
		src := map[string]bool{}
		for _, l := range strings.Split(strings.ReplaceAll(completion, "\r\n", "\n"), "\n") {
			src[l] = true
		}
		lines := strings.Split(got, "\n")
		for i, l := range lines {
			if src[l] {
				continue
			}
			// the first and last line may be trimmed of surrounding whitespace
			if (i == 0 || i == len(lines)-1) && strings.Contains(completion, l) {
				continue
			}
			t.Fatalf("line %q is not from the completion %q", l, completion)
		}
		body := "def " + entry + "(a):\n    return a"
		if isIdentifier(entry) && !strings.Contains(completion, "```") {
			wrapped := "```python\n" + body + "\n```"
			if got := Program(wrapped, entry); got != body {
				t.Fatalf("wrapped block: got %q", got)
			}
		}
	})
}
