package chat

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ardanlabs/jinja"
)

// dumpsOptions are the keyword arguments of Python's json.dumps that
// transformers' tojson filter forwards.
type dumpsOptions struct {
	ensureASCII bool
	indent      *string // nil: single line
	itemSep     string
	keySep      string
	sortKeys    bool
}

// tojsonFilter reproduces transformers' chat-template filter
// tojson(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False) = json.dumps(x, …): insertion-ordered keys, no HTML
// escaping, Python's float repr, ", "/": " separators (","/": " with indent).
func tojsonFilter(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
	if len(args) != 1 {
		return jinja.Undefined(), fmt.Errorf("tojson: want one value and keyword arguments, got %d positional", len(args))
	}
	opts, err := parseDumpsOptions(kwargs)
	if err != nil {
		return jinja.Undefined(), err
	}
	var b strings.Builder
	if err := dumpValue(&b, args[0], opts, 0); err != nil {
		return jinja.Undefined(), err
	}
	return jinja.NewString(b.String()), nil
}

func parseDumpsOptions(kwargs map[string]jinja.Value) (dumpsOptions, error) {
	o := dumpsOptions{itemSep: ", ", keySep: ": "}
	for k, v := range kwargs {
		switch k {
		case "ensure_ascii":
			o.ensureASCII = v.IsTruthy()
		case "sort_keys":
			o.sortKeys = v.IsTruthy()
		case "indent":
			switch {
			case v.IsNone() || v.IsUndefined():
			case v.IsInt():
				s := strings.Repeat(" ", int(max(v.AsInt(), 0)))
				o.indent = &s
			case v.IsString():
				s := v.AsString()
				o.indent = &s
			default:
				return o, fmt.Errorf("tojson: indent must be an int or a string")
			}
		case "separators":
			if v.IsNone() || v.IsUndefined() {
				continue
			}
			if !v.IsList() || v.AsList().Len() != 2 || !v.AsList().Get(0).IsString() || !v.AsList().Get(1).IsString() {
				return o, fmt.Errorf("tojson: separators must be two strings")
			}
		default:
			return o, fmt.Errorf("tojson: unexpected keyword argument %q", k)
		}
	}
	if o.indent != nil {
		o.itemSep = ","
	}
	if v, ok := kwargs["separators"]; ok && v.IsList() {
		o.itemSep, o.keySep = v.AsList().Get(0).AsString(), v.AsList().Get(1).AsString()
	}
	return o, nil
}

func dumpValue(b *strings.Builder, v jinja.Value, o dumpsOptions, depth int) error {
	switch {
	case v.IsUndefined():
		return fmt.Errorf("tojson: value is undefined")
	case v.IsNone():
		b.WriteString("null")
	case v.IsBool():
		b.WriteString(strconv.FormatBool(v.AsBool()))
	case v.IsInt():
		b.WriteString(strconv.FormatInt(v.AsInt(), 10))
	case v.IsFloat():
		b.WriteString(pyFloatRepr(v.AsFloat()))
	case v.IsString():
		writePyString(b, v.AsString(), o.ensureASCII)
	case v.IsList():
		items := v.AsList().Items
		return dumpContainer(b, '[', ']', len(items), o, depth, func(i int) error {
			return dumpValue(b, items[i], o, depth+1)
		})
	case v.IsDict():
		d := v.AsDict()
		keys := d.OrderedKeys()
		if o.sortKeys {
			sort.Strings(keys)
		}
		return dumpContainer(b, '{', '}', len(keys), o, depth, func(i int) error {
			writePyString(b, keys[i], o.ensureASCII)
			b.WriteString(o.keySep)
			val, _ := d.Get(keys[i])
			return dumpValue(b, val, o, depth+1)
		})
	default:
		return fmt.Errorf("tojson: value of type %s is not JSON serializable", v.String())
	}
	return nil
}

// dumpContainer writes open, n items separated as json.dumps does, close.
func dumpContainer(b *strings.Builder, open, close byte, n int, o dumpsOptions, depth int, item func(int) error) error {
	b.WriteByte(open)
	if n == 0 {
		b.WriteByte(close)
		return nil
	}
	newline := func(d int) {
		if o.indent != nil {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(*o.indent, d))
		}
	}
	for i := range n {
		if i > 0 {
			b.WriteString(o.itemSep)
		}
		newline(depth + 1)
		if err := item(i); err != nil {
			return err
		}
	}
	newline(depth)
	b.WriteByte(close)
	return nil
}

// writePyString quotes s as Python's json encoder does: \" \\ \n \r \t \b
// \f, other control characters as \u00XX, and with ensureASCII DEL and
// every non-ASCII character as \uXXXX (surrogate pairs above U+FFFF).
func writePyString(b *strings.Builder, s string, ensureASCII bool) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		i += w
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		case ensureASCII && r >= 0x7F && r <= 0xFFFF:
			fmt.Fprintf(b, `\u%04x`, r)
		case ensureASCII && r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// pyFloatRepr formats f like Python's repr(float): the shortest digits that
// round-trip, in positional notation when the decimal exponent is in
// [-4, 16), else as d.ddde±XX; NaN and infinities as json.dumps spells them.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	sign := ""
	if e[0] == '-' {
		sign, e = "-", e[1:]
	}
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}
