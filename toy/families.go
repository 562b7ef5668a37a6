package toy

import (
	"slices"
	"strings"
)

func ints(k int) value     { return value{kind: 'i', i: k} }
func str(s string) value   { return value{kind: 's', s: s} }
func list(l []int) value   { return value{kind: 'l', l: l} }
func boolean(b bool) value { return value{kind: 'b', b: b} }
func span(lo, hi int) []int {
	r := []int{}
	for k := lo; k <= hi; k++ {
		r = append(r, k)
	}
	return r
}

// floorDiv and floorMod follow Python's // and % for a positive divisor.
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && (a < 0) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - b*floorDiv(a, b) }

// families lists the task families. Buggy bodies are the mistakes a weak
// model makes: off-by-one constants, the wrong operator, a missing case.
func families() []family {
	return []family{
		{name: "add", arg: "x", params: span(1, 99),
			question: "Write a Python function `%s(x)` that returns x plus %d.",
			body:     "return x + %d", bugs: []string{"return x - %d", "return x + %d + 1", "return x"},
			eval: func(k int, in value) value { return ints(in.i + k) }},
		{name: "sub", arg: "x", params: span(1, 99),
			question: "Write a Python function `%s(x)` that returns x minus %d.",
			body:     "return x - %d", bugs: []string{"return %d - x", "return x + %d", "return x - %d - 1"},
			eval: func(k int, in value) value { return ints(in.i - k) }},
		{name: "mul", arg: "x", params: span(2, 30),
			question: "Write a Python function `%s(x)` that returns x multiplied by %d.",
			body:     "return x * %d", bugs: []string{"return x + %d", "return x * %d + 1", "return x ** 2"},
			eval: func(k int, in value) value { return ints(in.i * k) }},
		{name: "mod", arg: "x", params: span(2, 50),
			question: "Write a Python function `%s(x)` that returns the remainder of x divided by %d.",
			body:     "return x %% %d", bugs: []string{"return x // %d", "return %d %% x if x else 0", "return abs(x) %% %d"},
			eval: func(k int, in value) value { return ints(floorMod(in.i, k)) }},
		{name: "clamp_low", arg: "x", params: span(-50, 50),
			question: "Write a Python function `%s(x)` that returns the larger of x and %d.",
			body:     "return max(x, %d)", bugs: []string{"return min(x, %d)", "return x", "return max(x, %d + 1)"},
			eval: func(k int, in value) value { return ints(max(in.i, k)) }},
		{name: "is_above", arg: "x", params: span(-50, 50),
			question: "Write a Python function `%s(x)` that returns True if x is greater than %d and False otherwise.",
			body:     "return x > %d", bugs: []string{"return x >= %d", "return x < %d", "return True"},
			eval: func(k int, in value) value { return boolean(in.i > k) }},
		{name: "repeat", arg: "s", params: span(2, 9),
			question: "Write a Python function `%s(s)` that returns the string s repeated %d times.",
			body:     "return s * %d", bugs: []string{"return s * (%d + 1)", "return s + s", "return s"},
			eval: func(k int, in value) value { return str(strings.Repeat(in.s, k)) }},
		{name: "suffix", arg: "s", params: span(0, 9),
			question: "Write a Python function `%s(s)` that returns s followed by the digit %d.",
			body:     "return s + '%d'", bugs: []string{"return '%d' + s", "return s", "return s + str(%d + 1)"},
			eval: func(k int, in value) value { return str(in.s + string(rune('0'+k))) }},
		{name: "len_plus", arg: "s", params: span(1, 50),
			question: "Write a Python function `%s(s)` that returns the length of s plus %d.",
			body:     "return len(s) + %d", bugs: []string{"return len(s)", "return len(s) - %d", "return len(s) + %d + 1"},
			eval: func(k int, in value) value { return ints(len(in.s) + k) }},
		{name: "sum_plus", arg: "xs", params: span(1, 50),
			question: "Write a Python function `%s(xs)` that returns the sum of the list xs plus %d.",
			body:     "return sum(xs) + %d", bugs: []string{"return sum(xs)", "return sum(xs) - %d", "return len(xs) + %d"},
			eval: func(k int, in value) value {
				s := k
				for _, x := range in.l {
					s += x
				}
				return ints(s)
			}},
		{name: "scale", arg: "xs", params: span(2, 20),
			question: "Write a Python function `%s(xs)` that returns a list with every element of xs multiplied by %d.",
			body:     "return [x * %d for x in xs]", bugs: []string{"return [x + %d for x in xs]", "return xs", "return [x * %d for x in xs[1:]]"},
			eval: func(k int, in value) value {
				out := make([]int, len(in.l))
				for i, x := range in.l {
					out[i] = x * k
				}
				return list(out)
			}},
		{name: "keep_above", arg: "xs", params: span(-30, 30),
			question: "Write a Python function `%s(xs)` that returns the elements of xs greater than %d, in order.",
			body:     "return [x for x in xs if x > %d]", bugs: []string{"return [x for x in xs if x >= %d]", "return [x for x in xs if x < %d]", "return sorted(x for x in xs if x > %d)"},
			eval: func(k int, in value) value {
				out := []int{}
				for _, x := range in.l {
					if x > k {
						out = append(out, x)
					}
				}
				return list(out)
			}},
		{name: "count_above", arg: "xs", params: span(-30, 30),
			question: "Write a Python function `%s(xs)` that returns how many elements of xs are greater than %d.",
			body:     "return sum(1 for x in xs if x > %d)", bugs: []string{"return len(xs)", "return sum(1 for x in xs if x >= %d)", "return sum(x for x in xs if x > %d)"},
			eval: func(k int, in value) value {
				n := 0
				for _, x := range in.l {
					if x > k {
						n++
					}
				}
				return ints(n)
			}},
		{name: "max_or", arg: "xs", params: span(-50, 50),
			question: "Write a Python function `%s(xs)` that returns the largest element of xs, or %d if xs is empty.",
			body:     "return max(xs) if xs else %d", bugs: []string{"return max(xs + [%d])", "return min(xs) if xs else %d", "return max(xs) if xs else 0"},
			eval: func(k int, in value) value {
				if len(in.l) == 0 {
					return ints(k)
				}
				return ints(slices.Max(in.l))
			}},
	}
}
