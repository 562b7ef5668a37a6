package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// The split patterns of Qwen2 and Llama-3 (identical but for the digit
// group). Pre-tokenizers with exactly these patterns use scanPattern, a
// hand-written matcher for them, instead of the regexp2 engine; the two are
// compared by a differential fuzz test.
const (
	qwen2Pattern  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// knownPatternDigits returns the digit-group length of a pattern scanPattern
// implements, or 0.
func knownPatternDigits(pattern string) int {
	switch pattern {
	case qwen2Pattern:
		return 1
	case llama3Pattern:
		return 3
	}
	return 0
}

// runeAt decodes the rune at byte offset i; invalid UTF-8 bytes read as
// U+FFFD of width 1, which is how the regexp2 path sees them too.
func runeAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return -1, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return (r|0x20) >= 'a' && (r|0x20) <= 'z'
	}
	return unicode.IsLetter(r)
}

func isNumber(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= '0' && r <= '9'
	}
	return unicode.IsNumber(r)
}

func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || (r >= '\t' && r <= '\r')
	}
	return r >= 0 && unicode.IsSpace(r)
}

func isNewline(r rune) bool { return r == '\r' || r == '\n' }

// isPunct is the class [^\s\p{L}\p{N}].
func isPunct(r rune) bool { return r >= 0 && !isSpace(r) && !isLetter(r) && !isNumber(r) }

// scanPattern calls emit(start, end) for each match of the Qwen2 (digits=1)
// or Llama-3 (digits=3) split pattern in s, left to right. Every byte of s
// belongs to exactly one match.
func scanPattern(s string, digits int, emit func(start, end int)) {
	for i := 0; i < len(s); {
		end := matchAt(s, i, digits)
		emit(i, end)
		i = end
	}
}

// matchAt returns the end of the pattern's match starting at i, trying the
// alternatives in the pattern's order.
func matchAt(s string, i, digits int) int {
	r, w := runeAt(s, i)
	if r == '\'' {
		if e := contractionEnd(s, i+w); e > 0 {
			return e
		}
	}
	r2, w2 := runeAt(s, i+w)
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if isLetter(r) {
		return letterRunEnd(s, i+w)
	}
	if !isNewline(r) && !isNumber(r) && isLetter(r2) {
		return letterRunEnd(s, i+w+w2)
	}
	// \p{N}{1,digits}
	if isNumber(r) {
		j := i + w
		for k := 1; k < digits; k++ {
			rn, wn := runeAt(s, j)
			if !isNumber(rn) {
				break
			}
			j += wn
		}
		return j
	}
	// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
	if isPunct(r) || (r == ' ' && isPunct(r2)) {
		j := i
		if r == ' ' {
			j += w
		}
		for rn, wn := runeAt(s, j); isPunct(rn); rn, wn = runeAt(s, j) {
			j += wn
		}
		for rn, wn := runeAt(s, j); isNewline(rn); rn, wn = runeAt(s, j) {
			j += wn
		}
		return j
	}
	return whitespaceEnd(s, i, w)
}

// contractionEnd matches (?i:'s|'t|'re|'ve|'m|'ll|'d) after the apostrophe
// at j-1; 0 when none does.
func contractionEnd(s string, j int) int {
	a, wa := runeAt(s, j)
	a = unicode.ToLower(a)
	switch a {
	case 's', 't', 'm', 'd':
		return j + wa
	case 'r', 'v', 'l':
		b, wb := runeAt(s, j+wa)
		b = unicode.ToLower(b)
		if (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l') {
			return j + wa + wb
		}
	}
	return 0
}

func letterRunEnd(s string, j int) int {
	for r, w := runeAt(s, j); isLetter(r); r, w = runeAt(s, j) {
		j += w
	}
	return j
}

// whitespaceEnd handles \s*[\r\n]+ | \s+(?!\S) | \s+ at i, whose first
// rune (width w) is whitespace: the run up to its last newline if it has
// one; else the run minus its last character when a non-space follows and
// the run is longer than one character; else the whole run.
func whitespaceEnd(s string, i, w int) int {
	j, lastNL, lastStart := i, -1, i
	for r, wr := runeAt(s, j); isSpace(r); r, wr = runeAt(s, j) {
		if isNewline(r) {
			lastNL = j + wr
		}
		lastStart = j
		j += wr
	}
	if j == i {
		return i + w // not whitespace: cannot happen for valid input
	}
	if lastNL > 0 {
		return lastNL
	}
	if j < len(s) && lastStart > i {
		return lastStart
	}
	return j
}
