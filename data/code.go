package data

import (
	"strings"
)

type fence struct {
	lang string
	body string
}

// fencedBlocks returns the markdown code blocks of text in order. A fence
// left open runs to the end of the text (a truncated reply).
func fencedBlocks(text string) []fence {
	var out []fence
	lines := strings.SplitAfter(text, "\n")
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(t, "```") {
			continue
		}
		lang := strings.TrimSpace(strings.TrimLeft(t, "`"))
		var body strings.Builder
		j := i + 1
		for ; j < len(lines); j++ {
			if strings.HasPrefix(strings.TrimSpace(lines[j]), "```") {
				break
			}
			body.WriteString(lines[j])
		}
		out = append(out, fence{lang: lang, body: body.String()})
		i = j
	}
	return out
}

// StripPrints removes print calls that stand alone on their lines, as
// AceCoder does to seed programs before prompting. A call spanning several
// lines is removed whole. An indented print becomes `pass` so the block that
// held it stays valid Python.
func StripPrints(program string) string {
	lines := strings.Split(program, "\n")
	out := make([]string, 0, len(lines))
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimLeft(line, " \t")
		if !strings.HasPrefix(trimmed, "print(") && !strings.HasPrefix(trimmed, "print (") {
			out = append(out, line)
			continue
		}
		depth := parenDepth(trimmed)
		for depth > 0 && i+1 < len(lines) {
			i++
			depth += parenDepth(lines[i])
		}
		if indent := line[:len(line)-len(trimmed)]; indent != "" {
			out = append(out, indent+"pass")
		}
	}
	return strings.Join(out, "\n")
}

// parenDepth is the net count of ( [ { over ) ] } outside string literals.
func parenDepth(line string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case quote != 0:
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '#':
			return depth
		case ch == '(' || ch == '[' || ch == '{':
			depth++
		case ch == ')' || ch == ']' || ch == '}':
			depth--
		}
	}
	return depth
}
