package rewards

import (
	"math"
	"strconv"
	"strings"
)

const maxReprLen = 200

// repr renders a value roughly as Python's repr does, cut to maxReprLen.
func (v pyValue) repr() string {
	var sb strings.Builder
	v.writeRepr(&sb)
	s := sb.String()
	if len(s) > maxReprLen {
		s = s[:maxReprLen] + "..."
	}
	return s
}

func (v pyValue) writeRepr(sb *strings.Builder) {
	if sb.Len() > maxReprLen {
		return
	}
	switch v.kind {
	case 'n':
		sb.WriteString("None")
	case 'b':
		sb.WriteString(map[bool]string{true: "True", false: "False"}[v.b])
	case 'i':
		sb.WriteString(v.i.String())
	case 'f':
		sb.WriteString(floatRepr(v.re))
	case 'c':
		sb.WriteString("(" + floatRepr(v.re) + "+" + floatRepr(v.im) + "j)")
	case 's':
		sb.WriteString(strconv.Quote(v.s))
	case 'y':
		sb.WriteString("b" + strconv.Quote(v.s))
	case 'l', 't', 'e':
		open, closing := map[byte][2]string{'l': {"[", "]"}, 't': {"(", ")"}, 'e': {"{", "}"}}[v.kind][0],
			map[byte][2]string{'l': {"[", "]"}, 't': {"(", ")"}, 'e': {"{", "}"}}[v.kind][1]
		sb.WriteString(open)
		for i, x := range v.items {
			if i > 0 {
				sb.WriteString(", ")
			}
			x.writeRepr(sb)
		}
		if v.kind == 't' && len(v.items) == 1 {
			sb.WriteString(",")
		}
		sb.WriteString(closing)
	case 'q':
		sb.WriteString("deque(")
		pyValue{kind: 'l', items: v.items}.writeRepr(sb)
		sb.WriteString(")")
	case 'd':
		sb.WriteString("{")
		for i := 0; i+1 < len(v.items); i += 2 {
			if i > 0 {
				sb.WriteString(", ")
			}
			v.items[i].writeRepr(sb)
			sb.WriteString(": ")
			v.items[i+1].writeRepr(sb)
		}
		sb.WriteString("}")
	}
}

func floatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}
