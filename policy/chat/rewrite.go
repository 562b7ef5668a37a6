package chat

import "strings"

// tojsonName is the variable the rewritten templates call for tojson. The
// engine resolves its built-in filters first (its tojson differs from
// Python's json.dumps when indent is given), then falls back to variables;
// renaming the filter in the source routes calls to tojsonFilter.
const tojsonName = "__chat_tojson"

// rewriteTojson replaces the filter name in "| tojson" inside {{ }} and
// {% %} tags, outside string literals. Text, comments and literals are
// left alone.
func rewriteTojson(src string) string {
	var b strings.Builder
	b.Grow(len(src) + 64)
	i := 0
	for i < len(src) {
		open := strings.IndexAny(src[i:], "{")
		if open < 0 || i+open+1 >= len(src) {
			b.WriteString(src[i:])
			break
		}
		open += i
		closer := ""
		switch src[open+1] {
		case '{':
			closer = "}}"
		case '%':
			closer = "%}"
		case '#':
			closer = "#}"
		}
		if closer == "" {
			b.WriteString(src[i : open+1])
			i = open + 1
			continue
		}
		b.WriteString(src[i : open+2])
		end := tagEnd(src, open+2, closer)
		if closer == "#}" {
			b.WriteString(src[open+2 : end])
		} else {
			b.WriteString(rewriteTag(src[open+2 : end]))
		}
		i = end
	}
	return b.String()
}

// tagEnd returns the index of closer after start, skipping string
// literals, or len(src).
func tagEnd(src string, start int, closer string) int {
	var quote byte
	for j := start; j < len(src); j++ {
		c := src[j]
		switch {
		case quote != 0:
			if c == '\\' {
				j++
			} else if c == quote {
				quote = 0
			}
		case closer != "#}" && (c == '\'' || c == '"'):
			quote = c
		case strings.HasPrefix(src[j:], closer):
			return j
		}
	}
	return len(src)
}

// rewriteTag renames the tojson filter inside one tag body.
func rewriteTag(tag string) string {
	var b strings.Builder
	var quote byte
	lastNonSpace := byte(0)
	for j := 0; j < len(tag); j++ {
		c := tag[j]
		if quote != 0 {
			b.WriteByte(c)
			if c == '\\' && j+1 < len(tag) {
				j++
				b.WriteByte(tag[j])
			} else if c == quote {
				quote = 0
			}
			continue
		}
		if c == '\'' || c == '"' {
			quote = c
		}
		if lastNonSpace == '|' && strings.HasPrefix(tag[j:], "tojson") &&
			(j+6 == len(tag) || !isIdentByte(tag[j+6])) {
			b.WriteString(tojsonName)
			j += 5
			lastNonSpace = 'n'
			continue
		}
		b.WriteByte(c)
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			lastNonSpace = c
		}
	}
	return b.String()
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
