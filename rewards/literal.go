package rewards

import (
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The literal side of a test, read in Go the way ast.literal_eval reads
// the subset quickAnalyse accepts (see quick.go).

// parseLiteral reads tokens that make exactly one literal.
func parseLiteral(toks []token) (pyValue, bool) {
	p := litParser{toks: toks}
	v, ok := p.value(0)
	return v, ok && p.i == len(toks)
}

type litParser struct {
	toks []token
	i    int
}

func (p *litParser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{kind: tokOp}
}

func (p *litParser) value(depth int) (pyValue, bool) {
	if depth > 50 || p.i >= len(p.toks) {
		return pyValue{}, false
	}
	t := p.toks[p.i]
	p.i++
	switch t.kind {
	case tokNumber:
		return parseNumber(t.text, false)
	case tokString:
		s, ok := unquote(t.text)
		return pyValue{kind: 's', s: s}, ok
	case tokName:
		switch t.text {
		case "True", "False":
			return pyValue{kind: 'b', b: t.text == "True"}, true
		case "None":
			return pyValue{kind: 'n'}, true
		}
	case tokOp:
		if (t.text == "-" || t.text == "+") && p.peek().kind == tokNumber {
			p.i++
			return parseNumber(p.toks[p.i-1].text, t.text == "-")
		}
	case tokOpen:
		return p.container(t.text[0], depth)
	}
	return pyValue{}, false
}

// container reads the items after an opening bracket, up to its closing
// one: a list, a tuple (or a parenthesised value), a dict or a set.
func (p *litParser) container(open byte, depth int) (pyValue, bool) {
	v := pyValue{kind: map[byte]byte{'(': 't', '[': 'l', '{': 'e'}[open]}
	commas := 0
	for {
		if t := p.peek(); t.kind == tokClose {
			p.i++
			if open == '{' && len(v.items) == 0 {
				v.kind = 'd'
			}
			if open == '(' && len(v.items) == 1 && commas == 0 {
				return v.items[0], true // (x) is x
			}
			return v, v.kind != 'd' && v.kind != 'e' || distinctKeys(v)
		}
		item, ok := p.value(depth + 1)
		if !ok {
			return v, false
		}
		if open == '{' && p.peek().text == ":" && (len(v.items) == 0 || v.kind == 'd') {
			p.i++
			v.kind = 'd'
			x, ok := p.value(depth + 1)
			if !ok {
				return v, false
			}
			v.items = append(v.items, item, x)
		} else if v.kind == 'd' {
			return v, false
		} else {
			v.items = append(v.items, item)
		}
		switch t := p.peek(); {
		case t.text == ",":
			p.i++
			commas++
		case t.kind != tokClose:
			return v, false
		}
	}
}

// distinctKeys reports whether a set's items or a dict's keys are hashable
// and pairwise unequal (Python would keep one of two equal ones; the
// analyzer decides those).
func distinctKeys(v pyValue) bool {
	step := 1
	if v.kind == 'd' {
		step = 2
	}
	seen := map[string]bool{}
	for i := 0; i < len(v.items); i += step {
		k := v.items[i]
		if !hashable(k) || seen[k.hashKey()] {
			return false
		}
		seen[k.hashKey()] = true
	}
	return true
}

func hashable(v pyValue) bool {
	switch v.kind {
	case 'l', 'd', 'e':
		return false
	case 't':
		for _, x := range v.items {
			if !hashable(x) {
				return false
			}
		}
	}
	return true
}

// parseNumber reads a decimal int (no leading zeros, no underscores, at
// most 1000 digits) or a decimal float, as Python does.
func parseNumber(s string, neg bool) (pyValue, bool) {
	if s == "" || len(s) > 1000 || strings.ContainsAny(s, "_xXoObBjJlL") {
		return pyValue{}, false
	}
	if !strings.ContainsAny(s, ".eE") {
		if len(s) > 1 && s[0] == '0' {
			return pyValue{}, false
		}
		n, ok := new(big.Int).SetString(s, 10)
		if ok && neg {
			n.Neg(n)
		}
		return pyValue{kind: 'i', i: n}, ok
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789.eE+-", c) {
			return pyValue{}, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return pyValue{}, false
	}
	if neg {
		f = -f
	}
	return pyValue{kind: 'f', re: f}, true
}

// unquote decodes an unprefixed Python string literal. Escapes Python
// would warn about, \N{...} and surrogates give up.
func unquote(lit string) (string, bool) {
	body := lit[1 : len(lit)-1]
	if !strings.Contains(body, `\`) {
		return body, true
	}
	var sb strings.Builder
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			sb.WriteByte(body[i])
			continue
		}
		i++
		if i >= len(body) {
			return "", false
		}
		if c, ok := map[byte]byte{'\\': '\\', '\'': '\'', '"': '"', 'n': '\n', 't': '\t', 'r': '\r', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v'}[body[i]]; ok {
			sb.WriteByte(c)
			continue
		}
		width, base := map[byte]int{'x': 2, 'u': 4, 'U': 8}[body[i]], 16
		start := i + 1
		if body[i] >= '0' && body[i] <= '7' {
			width, base, start = 0, 8, i
			for width < 3 && start+width < len(body) && body[start+width] >= '0' && body[start+width] <= '7' {
				width++
			}
		}
		if width == 0 || start+width > len(body) {
			return "", false
		}
		n, err := strconv.ParseUint(body[start:start+width], base, 32)
		if err != nil || n > utf8.MaxRune || n >= 0xD800 && n <= 0xDFFF || base == 8 && n > 0o377 {
			return "", false
		}
		sb.WriteRune(rune(n))
		i = start + width - 1
	}
	return sb.String(), true
}
