// Package extract finds the program in a model's reply: the one rule the
// data pipeline (preference pairs), the RL rewards and the evaluation all
// use, so that they agree on which program a reply holds.
package extract

import (
	"regexp"
	"strings"
)

// Program pulls the program out of a model completion, in the
// spirit of evalplus' sanitiser but without a Python parser:
//
//  1. With fenced blocks (```python, ```py, ``` with no language; a block
//     left open at the end counts), keep the blocks that define
//     entryPoint (`def name(`, `async def name(`, `class name`, `name =`),
//     else all of them, and return the longest.
//  2. Without fences, return the longest run of lines that look like code
//     (indented lines, statements, decorators, comments, assignments,
//     calls; blank lines inside a run), preferring a run that defines
//     entryPoint, so prose before and after the code is dropped.
//  3. If nothing looks like code, the completion is returned trimmed.
//
// Every returned line is a line of the completion. An empty entryPoint
// means no preference.
func Program(completion, entryPoint string) string {
	completion = strings.ReplaceAll(completion, "\r\n", "\n")
	if blocks := fencedBlocks(completion); len(blocks) > 0 {
		return strings.Trim(pickLongest(blocks, entryPoint), "\n")
	}
	runs := codeRuns(strings.Split(completion, "\n"))
	if len(runs) == 0 {
		return strings.TrimSpace(completion)
	}
	return strings.Trim(pickLongest(runs, entryPoint), "\n")
}

// fencedBlocks returns the bodies of ``` blocks tagged python/py/python3
// or untagged.
func fencedBlocks(s string) []string {
	var blocks []string
	var cur []string
	in, keep := false, false
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if in {
				if keep {
					blocks = append(blocks, strings.Join(cur, "\n"))
				}
				in, cur = false, nil
				continue
			}
			lang := strings.ToLower(strings.TrimSpace(strings.TrimLeft(trimmed, "`")))
			in, keep = true, lang == "" || lang == "python" || lang == "py" || lang == "python3"
			continue
		}
		if in {
			cur = append(cur, line)
		}
	}
	if in && keep && len(cur) > 0 {
		blocks = append(blocks, strings.Join(cur, "\n"))
	}
	return blocks
}

// definesName reports whether code defines name at any indentation.
func definesName(code, name string) bool {
	if !isIdentifier(name) {
		return false
	}
	for _, line := range strings.Split(code, "\n") {
		l := strings.TrimLeft(line, " \t")
		l = strings.TrimPrefix(l, "async ")
		for _, kw := range []string{"def ", "class "} {
			if rest, ok := strings.CutPrefix(l, kw); ok {
				rest = strings.TrimLeft(rest, " ")
				if after, ok := strings.CutPrefix(rest, name); ok && (after == "" || !isIdentByte(after[0])) {
					return true
				}
			}
		}
		if after, ok := strings.CutPrefix(l, name); ok {
			after = strings.TrimLeft(after, " ")
			if strings.HasPrefix(after, "=") && !strings.HasPrefix(after, "==") {
				return true
			}
		}
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// isIdentifier accepts ASCII Python identifiers.
func isIdentifier(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i]) || s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// pickLongest returns the longest candidate that defines entryPoint, or the
// longest candidate when none does (the first one on ties).
func pickLongest(cands []string, entryPoint string) string {
	best, bestDef := -1, false
	for i, c := range cands {
		def := definesName(c, entryPoint)
		switch {
		case best < 0, def && !bestDef, def == bestDef && len(strings.TrimSpace(c)) > len(strings.TrimSpace(cands[best])):
			best, bestDef = i, def
		}
	}
	return cands[best]
}

var (
	codeStart  = regexp.MustCompile(`^(?:def|class|import|from|if|elif|else|for|while|try|except|finally|with|return|assert|raise|async|await|global|nonlocal|pass|break|continue|yield|del|lambda|print)\b`)
	codeAssign = regexp.MustCompile(`^[A-Za-z_][\w.]*(?:\[[^\]]*\])?(?:\s*,\s*[A-Za-z_][\w.]*)*\s*(?::[^=]+)?(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=[^=]`)
	codeCall   = regexp.MustCompile(`^[A-Za-z_][\w.]*\(.*\)\s*$`)
)

// looksLikeCode classifies one line: 1 code, 0 blank (neutral), -1 prose.
func looksLikeCode(line string) int {
	if strings.TrimSpace(line) == "" {
		return 0
	}
	if line[0] == ' ' || line[0] == '\t' {
		return 1
	}
	switch {
	case line[0] == '@', line[0] == '#', line[0] == ')' || line[0] == ']' || line[0] == '}':
		return 1
	case codeStart.MatchString(line), codeAssign.MatchString(line), codeCall.MatchString(line):
		return 1
	}
	return -1
}

// codeRuns splits lines into maximal runs of code lines (blank lines kept
// inside a run).
func codeRuns(lines []string) []string {
	var runs []string
	var cur []string
	flush := func() {
		for len(cur) > 0 && strings.TrimSpace(cur[len(cur)-1]) == "" {
			cur = cur[:len(cur)-1]
		}
		if len(cur) > 0 {
			runs = append(runs, strings.Join(cur, "\n"))
		}
		cur = nil
	}
	for _, line := range lines {
		switch looksLikeCode(line) {
		case 1:
			cur = append(cur, line)
		case 0:
			if len(cur) > 0 {
				cur = append(cur, line)
			}
		default:
			flush()
		}
	}
	flush()
	return runs
}
