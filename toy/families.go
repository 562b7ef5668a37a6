package toy

import (
	"math/rand/v2"
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

// Input generators. Each family draws its test inputs where its common
// mistake shows on part of them and not on the rest (negative numbers,
// long strings, repeated letters, values at the boundary), as real bugs
// fail some tests and pass others.

// intNear draws k + U[−d, d].
func intNear(d int) func(int, *rand.Rand) value {
	return func(k int, rng *rand.Rand) value { return ints(k + rng.IntN(2*d+1) - d) }
}

// intAround0 draws U[−d, d].
func intAround0(d int) func(int, *rand.Rand) value {
	return func(_ int, rng *rand.Rand) value { return ints(rng.IntN(2*d+1) - d) }
}

// letters draws a string of lo..hi letters from a small alphabet.
func letters(lo, hi int) func(int, *rand.Rand) value {
	return func(_ int, rng *rand.Rand) value {
		b := make([]byte, lo+rng.IntN(hi-lo+1))
		for i := range b {
			b[i] = "abcdexyz"[rng.IntN(8)]
		}
		return str(string(b))
	}
}

// listOf draws lo..hi integers, each center(k) + U[−d, d].
func listOf(lo, hi, d int, center func(int) int) func(int, *rand.Rand) value {
	return func(k int, rng *rand.Rand) value {
		l := make([]int, lo+rng.IntN(hi-lo+1))
		for i := range l {
			l[i] = center(k) + rng.IntN(2*d+1) - d
		}
		return list(l)
	}
}

func atK(k int) int  { return k }
func atZero(int) int { return 0 }

func abs(x int) int { return max(x, -x) }

// mapList applies f to every element.
func mapList(l []int, f func(int) int) []int {
	out := make([]int, len(l))
	for i, x := range l {
		out[i] = f(x)
	}
	return out
}

func sumIf(l []int, keep func(int) bool) int {
	s := 0
	for _, x := range l {
		if keep(x) {
			s += x
		}
	}
	return s
}

func countIf(l []int, keep func(int) bool) int {
	n := 0
	for _, x := range l {
		if keep(x) {
			n++
		}
	}
	return n
}

func filterList(l []int, keep func(int) bool) []int {
	out := []int{}
	for _, x := range l {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// families lists the task families. bugs[0] is the family's common
// mistake: the one fine-tuning demonstrations carry (WithMistakes) and
// test writers share (Synthesize); mistake is its value in Go. It passes
// part of the tests, so AceCoder's pair rule (rejected pass rate > 0) can
// keep it. The other bugs are rarer slips: a wrong operator or constant.
func families() []family {
	return []family{
		{name: "add", arg: "x", params: span(1, 150), input: intAround0(15),
			question: "Write a Python function `%s(x)` that returns x plus %d.",
			body:     "return x + %d", bugs: []string{"return abs(x) + %d", "return x - %d", "return x + %d + 1"},
			eval:    func(k int, in value) value { return ints(in.i + k) },
			mistake: func(k int, in value) value { return ints(abs(in.i) + k) }},
		{name: "sub", arg: "x", params: span(1, 150), input: intNear(15),
			question: "Write a Python function `%s(x)` that returns x minus %d.",
			body:     "return x - %d", bugs: []string{"return abs(x - %d)", "return %d - x", "return x + %d"},
			eval:    func(k int, in value) value { return ints(in.i - k) },
			mistake: func(k int, in value) value { return ints(abs(in.i - k)) }},
		{name: "mul", arg: "x", params: span(2, 50), input: intAround0(15),
			question: "Write a Python function `%s(x)` that returns x multiplied by %d.",
			body:     "return x * %d", bugs: []string{"return max(x, 0) * %d", "return x + %d", "return x * %d + 1"},
			eval:    func(k int, in value) value { return ints(in.i * k) },
			mistake: func(k int, in value) value { return ints(max(in.i, 0) * k) }},
		{name: "mod", arg: "x", params: span(2, 60),
			input: func(k int, rng *rand.Rand) value { return ints(rng.IntN(6*k+11) - 3*k - 5) },
			// The mistake is C's remainder (truncating division).
			question: "Write a Python function `%s(x)` that returns the remainder of x divided by %d.",
			body:     "return x %% %d", bugs: []string{"return x - %d * int(x / %d)", "return x // %d", "return %d %% x if x else 0"},
			eval:    func(k int, in value) value { return ints(floorMod(in.i, k)) },
			mistake: func(k int, in value) value { return ints(in.i % k) }},
		{name: "clamp_low", arg: "x", params: span(-60, 60), input: intNear(15),
			question: "Write a Python function `%s(x)` that returns the larger of x and %d.",
			body:     "return max(x, %d)", bugs: []string{"return max(x, %d + 1)", "return min(x, %d)", "return x"},
			eval:    func(k int, in value) value { return ints(max(in.i, k)) },
			mistake: func(k int, in value) value { return ints(max(in.i, k+1)) }},
		{name: "is_above", arg: "x", params: span(-60, 60), input: intNear(15),
			question: "Write a Python function `%s(x)` that returns True if x is greater than %d and False otherwise.",
			body:     "return x > %d", bugs: []string{"return abs(x) > %d", "return x >= %d", "return x < %d"},
			eval:    func(k int, in value) value { return boolean(in.i > k) },
			mistake: func(k int, in value) value { return boolean(abs(in.i) > k) }},
		{name: "repeat", arg: "s", params: span(2, 9), input: letters(1, 4),
			question: "Write a Python function `%s(s)` that returns the string s repeated %d times.",
			body:     "return s * %d", bugs: []string{"return s[0] * %d", "return s * (%d + 1)", "return s + s"},
			eval:    func(k int, in value) value { return str(strings.Repeat(in.s, k)) },
			mistake: func(k int, in value) value { return str(strings.Repeat(in.s[:1], k)) }},
		{name: "suffix", arg: "s", params: span(0, 9), input: letters(1, 8),
			question: "Write a Python function `%s(s)` that returns s followed by the digit %d.",
			body:     "return s + '%d'", bugs: []string{"return s[:4] + '%d'", "return '%d' + s", "return s"},
			eval:    func(k int, in value) value { return str(in.s + string(rune('0'+k))) },
			mistake: func(k int, in value) value { return str(in.s[:min(4, len(in.s))] + string(rune('0'+k))) }},
		{name: "len_plus", arg: "s", params: span(1, 80), input: letters(1, 6),
			question: "Write a Python function `%s(s)` that returns the length of s plus %d.",
			body:     "return len(s) + %d", bugs: []string{"return len(set(s)) + %d", "return len(s)", "return len(s) - %d"},
			eval: func(k int, in value) value { return ints(len(in.s) + k) },
			mistake: func(k int, in value) value {
				seen := map[rune]bool{}
				for _, c := range in.s {
					seen[c] = true
				}
				return ints(len(seen) + k)
			}},
		{name: "sum_plus", arg: "xs", params: span(1, 80), input: listOf(0, 4, 8, atZero),
			question: "Write a Python function `%s(xs)` that returns the sum of the list xs plus %d.",
			body:     "return sum(xs) + %d", bugs: []string{"return sum(x for x in xs if x > 0) + %d", "return sum(xs)", "return sum(xs) - %d"},
			eval:    func(k int, in value) value { return ints(sumIf(in.l, func(int) bool { return true }) + k) },
			mistake: func(k int, in value) value { return ints(sumIf(in.l, func(x int) bool { return x > 0 }) + k) }},
		{name: "scale", arg: "xs", params: span(2, 30), input: listOf(0, 4, 8, atZero),
			question: "Write a Python function `%s(xs)` that returns a list with every element of xs multiplied by %d.",
			body:     "return [x * %d for x in xs]", bugs: []string{"return [abs(x) * %d for x in xs]", "return [x + %d for x in xs]", "return xs"},
			eval:    func(k int, in value) value { return list(mapList(in.l, func(x int) int { return x * k })) },
			mistake: func(k int, in value) value { return list(mapList(in.l, func(x int) int { return abs(x) * k })) }},
		{name: "keep_above", arg: "xs", params: span(-40, 40), input: listOf(1, 6, 2, atK),
			question: "Write a Python function `%s(xs)` that returns the elements of xs greater than %d, in order.",
			body:     "return [x for x in xs if x > %d]", bugs: []string{"return [x for x in xs if x >= %d]", "return [x for x in xs if x < %d]", "return sorted(x for x in xs if x > %d)"},
			eval:    func(k int, in value) value { return list(filterList(in.l, func(x int) bool { return x > k })) },
			mistake: func(k int, in value) value { return list(filterList(in.l, func(x int) bool { return x >= k })) }},
		{name: "count_above", arg: "xs", params: span(-40, 40), input: listOf(1, 6, 2, atK),
			question: "Write a Python function `%s(xs)` that returns how many elements of xs are greater than %d.",
			body:     "return sum(1 for x in xs if x > %d)", bugs: []string{"return sum(1 for x in xs if x >= %d)", "return len(xs)", "return sum(x for x in xs if x > %d)"},
			eval:    func(k int, in value) value { return ints(countIf(in.l, func(x int) bool { return x > k })) },
			mistake: func(k int, in value) value { return ints(countIf(in.l, func(x int) bool { return x >= k })) }},
		{name: "max_or", arg: "xs", params: span(-60, 60), input: listOf(0, 5, 8, atK),
			question: "Write a Python function `%s(xs)` that returns the largest element of xs, or %d if xs is empty.",
			body:     "return max(xs) if xs else %d", bugs: []string{"return xs[-1] if xs else %d", "return max(xs + [%d])", "return min(xs) if xs else %d"},
			eval: func(k int, in value) value {
				if len(in.l) == 0 {
					return ints(k)
				}
				return ints(slices.Max(in.l))
			},
			mistake: func(k int, in value) value {
				if len(in.l) == 0 {
					return ints(k)
				}
				return ints(in.l[len(in.l)-1])
			}},
	}
}
