package rewards

import (
	"strings"
	"unicode/utf8"
)

// quickAnalyse classifies the commonest test, a one-line
// `assert <expr> == <literal>`, without the Python analyzer. It answers
// only when it is sure to agree with the analyzer (TestQuickMatchesAnalyzer
// checks that on every HumanEval, MBPP and generated test, and
// FuzzQuickAnalyse on arbitrary text): one `==` at the top level and no
// other comparison, boolean operator, conditional, lambda, comma, colon
// or assignment there; one side a literal made of unprefixed strings,
// decimal ints, floats, True, False, None, and lists, tuples, dicts and
// sets of those; the other side naming something other than True, False,
// None or set, so that ast.literal_eval fails on it. Anything else
// (comments, backslashes, several lines, string prefixes on the literal,
// f-strings, hex or complex numbers, duplicate keys) goes to the analyzer.
// A malformed expression side is caught when the sandbox compiles it: the
// test gets an error verdict either way.
func quickAnalyse(test string) (analysedTest, bool) {
	s := strings.TrimRight(test, " \t\n")
	if len(s) > 100_000 || strings.ContainsAny(s, "\n\r\x00") || !utf8.ValidString(s) {
		return analysedTest{}, false
	}
	rest, ok := strings.CutPrefix(s, "assert")
	if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t' && rest[0] != '(') {
		return analysedTest{}, false
	}
	toks, ok := tokenize(rest)
	if !ok {
		return analysedTest{}, false
	}
	eq := -1
	depth := 0
	for i, t := range toks {
		switch {
		case t.kind == tokOpen:
			depth++
		case t.kind == tokClose:
			depth--
		case t.kind == tokName && statementKeyword[t.text]:
			return analysedTest{}, false
		case depth > 0:
		case t.text == "==":
			if eq >= 0 {
				return analysedTest{}, false
			}
			eq = i
		case t.kind == tokOp && topLevelStop[t.text], t.kind == tokName && topLevelKeyword[t.text]:
			return analysedTest{}, false
		}
	}
	if eq <= 0 || eq == len(toks)-1 {
		return analysedTest{}, false
	}
	left, right := toks[:eq], toks[eq+1:]
	for _, side := range [2][2][]token{{left, right}, {right, left}} {
		expr, lit := side[0], side[1]
		if !namesSomething(expr) || expr[0].text == "*" || expr[0].text == "**" {
			continue
		}
		want, ok := parseLiteral(lit)
		if !ok {
			continue
		}
		code := "(" + strings.TrimSpace(rest[expr[0].pos:expr[len(expr)-1].end]) + ")"
		return analysedTest{Kind: kindEq, Code: code, want: want, wantOK: true}, true
	}
	return analysedTest{}, false
}

// Tokens that end the fast path when found outside brackets.
var (
	topLevelStop    = map[string]bool{"!=": true, "<": true, ">": true, "<=": true, ">=": true, "<>": true, ",": true, ":": true, "=": true, ":=": true, "->": true, ";": true}
	topLevelKeyword = map[string]bool{"and": true, "or": true, "not": true, "in": true, "is": true, "if": true, "else": true, "lambda": true, "for": true}
	// Keywords no expression of the subset contains anywhere.
	statementKeyword = map[string]bool{"yield": true, "await": true, "async": true, "def": true, "class": true, "import": true,
		"from": true, "return": true, "pass": true, "break": true, "continue": true, "global": true, "nonlocal": true, "del": true,
		"raise": true, "try": true, "except": true, "finally": true, "while": true, "with": true, "as": true, "assert": true, "elif": true}
)

// namesSomething reports whether tokens name anything ast.literal_eval
// rejects: a name other than True, False, None and set (set() is a literal).
func namesSomething(toks []token) bool {
	for _, t := range toks {
		if t.kind == tokName && t.text != "True" && t.text != "False" && t.text != "None" && t.text != "set" {
			return true
		}
	}
	return false
}

type tokKind byte

const (
	tokName tokKind = iota
	tokNumber
	tokString // unprefixed, single-quoted form only (prefixed strings are tokOther)
	tokOther  // a prefixed string: fine in an expression, never in a literal
	tokOp
	tokOpen
	tokClose
)

type token struct {
	kind     tokKind
	text     string
	pos, end int
}

// tokenize splits one line of Python into tokens, or gives up on anything
// outside the subset quickAnalyse handles.
func tokenize(s string) ([]token, bool) {
	var toks []token
	var stack []byte
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
			continue
		case c >= utf8.RuneSelf || c < ' ' || c == '\\' || c == '#' || c == '$' || c == '?' || c == '`' || c == '!' && !strings.HasPrefix(s[i:], "!="):
			return nil, false
		case isNameStart(c):
			j := i
			for j < len(s) && (isNameStart(s[j]) || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j < len(s) && (s[j] == '\'' || s[j] == '"') {
				if !isStringPrefix(s[i:j]) || strings.ContainsAny(s[i:j], "fF") {
					return nil, false
				}
				end, ok := stringEnd(s, j)
				if !ok {
					return nil, false
				}
				toks = append(toks, token{tokOther, s[i:end], i, end})
				i = end
				continue
			}
			toks = append(toks, token{tokName, s[i:j], i, j})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := numberEnd(s, i)
			toks = append(toks, token{tokNumber, s[i:j], i, j})
			i = j
		case c == '\'' || c == '"':
			end, ok := stringEnd(s, i)
			if !ok {
				return nil, false
			}
			toks = append(toks, token{tokString, s[i:end], i, end})
			i = end
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, c)
			toks = append(toks, token{tokOpen, s[i : i+1], i, i + 1})
			i++
		case c == ')' || c == ']' || c == '}':
			if len(stack) == 0 || stack[len(stack)-1] != map[byte]byte{')': '(', ']': '[', '}': '{'}[c] {
				return nil, false
			}
			stack = stack[:len(stack)-1]
			toks = append(toks, token{tokClose, s[i : i+1], i, i + 1})
			i++
		default:
			j := opEnd(s, i)
			toks = append(toks, token{tokOp, s[i:j], i, j})
			i = j
		}
	}
	return toks, len(stack) == 0 && len(toks) > 0
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isStringPrefix(p string) bool {
	switch strings.ToLower(p) {
	case "r", "u", "b", "br", "rb", "f", "fr", "rf":
		return true
	}
	return false
}

// stringEnd returns the index after the string literal whose quote is at
// s[i]; triple-quoted strings and unterminated ones give up.
func stringEnd(s string, i int) (int, bool) {
	q := s[i]
	if strings.HasPrefix(s[i:], strings.Repeat(string(q), 3)) {
		return 0, false
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j + 1, true
		}
	}
	return 0, false
}

// numberEnd returns the end of the number token at i: digits, letters,
// dots, underscores and an exponent's sign (parseNumber judges the text).
func numberEnd(s string, i int) int {
	j := i
	for j < len(s) {
		c := s[j]
		if c >= '0' && c <= '9' || isNameStart(c) || c == '.' {
			j++
		} else if (c == '+' || c == '-') && (s[j-1] == 'e' || s[j-1] == 'E') && !strings.ContainsAny(s[i:j], "xXoObB") {
			j++
		} else {
			break
		}
	}
	return j
}

// opEnd returns the end of the operator at i (longest match).
func opEnd(s string, i int) int {
	for _, op := range []string{"**=", "//=", ">>=", "<<=", "...", "==", "!=", "<=", ">=", "<>", "->", ":=", "**", "//", "<<", ">>",
		"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@="} {
		if strings.HasPrefix(s[i:], op) {
			return i + len(op)
		}
	}
	return i + 1
}
