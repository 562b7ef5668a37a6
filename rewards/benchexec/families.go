package benchexec

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// family is one shape of generated program. gen returns the program and
// its asserts; wrong shifts one constant of the program (not of the tests),
// as a sampled program with a small mistake does.
type family struct {
	name   string
	module string  // the module the program imports; "" for none
	weight float64 // share of the generated programs
	gen    func(rng *rand.Rand, wrong bool, tests int) (string, []string)
}

// families is the generated part of the mix: 70% of the programs import a
// module (the frequencies of HumanEval, MBPP and AceCode-style rows, with
// typing, math and itertools first), the rest loop, raise or time out.
var families = []family{
	{"typing-list", "typing", 0.14, genTypingList},
	{"typing-dict", "typing", 0.10, genTypingDict},
	{"math", "math", 0.14, genMath},
	{"itertools", "itertools", 0.10, genItertools},
	{"collections", "collections", 0.07, genCounter},
	{"re", "re", 0.06, genRegex},
	{"heapq", "heapq", 0.03, genHeapq},
	{"functools", "functools", 0.03, genFunctools},
	{"bisect", "bisect", 0.03, genBisect},
	{"loops", "", 0.16, genLoops},
	{"exceptions", "", 0.136, genExceptions},
	{"timeout", "", 0.004, genTimeout},
}

func off(wrong bool) int {
	if wrong {
		return 1
	}
	return 0
}

// pyList renders ints as a Python list literal.
func pyList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func randInts(rng *rand.Rand, n, hi int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = rng.IntN(hi)
	}
	return xs
}

func genTypingList(rng *rand.Rand, wrong bool, tests int) (string, []string) {
	a, b, c := rng.IntN(9)+2, rng.IntN(20), rng.IntN(4)+2
	prog := fmt.Sprintf("from typing import List\n\n\ndef scale(xs: List[int]) -> List[int]:\n"+
		"    out: List[int] = []\n    for x in xs:\n        if x %% %d != 0:\n            out.append(x * %d + %d)\n    return out\n", c, a, b+off(wrong))
	ts := make([]string, tests)
	for k := range ts {
		xs := randInts(rng, 3+k%5, 50)
		var want []int
		for _, x := range xs {
			if x%c != 0 {
				want = append(want, x*a+b)
			}
		}
		ts[k] = fmt.Sprintf("assert scale(%s) == %s", pyList(xs), pyList(want))
	}
	return prog, ts
}

func genTypingDict(rng *rand.Rand, wrong bool, tests int) (string, []string) {
	a := rng.IntN(5) + 1
	prog := fmt.Sprintf("from typing import Dict, List, Optional\n\n\ndef weigh(words: List[str], bonus: Optional[int] = None) -> Dict[str, int]:\n"+
		"    out: Dict[str, int] = {}\n    for w in words:\n        out[w] = out.get(w, 0) + len(w) * %d\n"+
		"    if bonus is not None:\n        out['bonus'] = bonus\n    return out\n", a+off(wrong))
	vocab := []string{"ab", "cde", "f", "ghij", "kl"}
	ts := make([]string, tests)
	for k := range ts {
		n := 2 + k%4
		words, want, order := make([]string, n), map[string]int{}, []string{}
		for i := range words {
			w := vocab[rng.IntN(len(vocab))]
			words[i] = "'" + w + "'"
			if _, ok := want[w]; !ok {
				order = append(order, w)
			}
			want[w] += len(w) * a
		}
		items := make([]string, len(order))
		for i, w := range order {
			items[i] = fmt.Sprintf("'%s': %d", w, want[w])
		}
		ts[k] = fmt.Sprintf("assert weigh([%s]) == {%s}", strings.Join(words, ", "), strings.Join(items, ", "))
	}
	return prog, ts
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func isqrt(n int) int {
	r := 0
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}

func genMath(rng *rand.Rand, wrong bool, tests int) (string, []string) {
	a, b := rng.IntN(60)+2, rng.IntN(30)+1
	prog := fmt.Sprintf("import math\n\n\ndef mix(n: int) -> int:\n    \"\"\"gcd with %d plus the integer square root of %d n.\"\"\"\n"+
		"    return math.gcd(n, %d) + math.isqrt(n * %d) + math.factorial(n %% 5)\n", a, b, a+off(wrong), b)
	fact := []int{1, 1, 2, 6, 24}
	ts := make([]string, tests)
	for k := range ts {
		n := rng.IntN(500) + 1
		ts[k] = fmt.Sprintf("assert mix(%d) == %d", n, gcd(n, a)+isqrt(n*b)+fact[n%5])
	}
	return prog, ts
}

func genItertools(rng *rand.Rand, wrong bool, tests int) (string, []string) {
	a := rng.IntN(7) + 2
	prog := fmt.Sprintf("import itertools\n\n\ndef pairs(n: int) -> int:\n"+
		"    return sum(1 for x, y in itertools.combinations(range(n), 2) if (x + y) %% %d == 0)\n", a+off(wrong))
	ts := make([]string, tests)
	for k := range ts {
		n, want := rng.IntN(40)+2, 0
		for x := 0; x < n; x++ {
			for y := x + 1; y < n; y++ {
				if (x+y)%a == 0 {
					want++
				}
			}
		}
		ts[k] = fmt.Sprintf("assert pairs(%d) == %d", n, want)
	}
	return prog, ts
}

func genCounter(rng *rand.Rand, wrong bool, tests int) (string, []string) {
	a := rng.IntN(6) + 2
	prog := fmt.Sprintf("from collections import Counter\n\n\ndef buckets(n):\n"+
		"    return sorted(Counter(x %% %d for x in range(n)).items())\n", a+off(wrong))
	ts := make([]string, tests)
	for k := range ts {
		n := rng.IntN(30) + 1
		counts := map[int]int{}
		for x := 0; x < n; x++ {
			counts[x%a]++
		}
		keys := make([]int, 0, len(counts))
		for r := range counts {
			keys = append(keys, r)
		}
		sort.Ints(keys)
		items := make([]string, len(keys))
		for i, r := range keys {
			items[i] = fmt.Sprintf("(%d, %d)", r, counts[r])
		}
		ts[k] = fmt.Sprintf("assert buckets(%d) == [%s]", n, strings.Join(items, ", "))
	}
	return prog, ts
}

func genRegex(rng *rand.Rand, wrong bool, tests int) (string, []string) {
	a := rng.IntN(9) + 1
	prog := fmt.Sprintf("import re\n\n\ndef numbers(s: str) -> list:\n"+
		"    return [int(m) * %d for m in re.findall(r'\\d+', s)]\n", a+off(wrong))
	ts := make([]string, tests)
	for k := range ts {
		xs := randInts(rng, 1+k%4, 1000)
		var sb strings.Builder
		want := make([]int, len(xs))
		for i, x := range xs {
			fmt.Fprintf(&sb, "%c%d ", 'a'+rng.IntN(26), x)
			want[i] = x * a
		}
		ts[k] = fmt.Sprintf("assert numbers('%s') == %s", sb.String(), pyList(want))
	}
	return prog, ts
}

func genHeapq(rng *rand.Rand, wrong bool, tests int) (string, []string) {
	a := rng.IntN(4) + 1
	prog := fmt.Sprintf("import heapq\n\n\ndef smallest(xs):\n    return heapq.nsmallest(%d, xs)\n", a+off(wrong))
	ts := make([]string, tests)
	for k := range ts {
		xs := randInts(rng, 6+k%5, 100)
		s := append([]int{}, xs...)
		sort.Ints(s)
		ts[k] = fmt.Sprintf("assert smallest(%s) == %s", pyList(xs), pyList(s[:a]))
	}
	return prog, ts
}

func genFunctools(rng *rand.Rand, wrong bool, tests int) (string, []string) {
	m := rng.IntN(900) + 100
	prog := fmt.Sprintf("from functools import lru_cache\n\n\n@lru_cache(maxsize=None)\ndef fib(n):\n"+
		"    return n if n < 2 else (fib(n - 1) + fib(n - 2)) %% %d\n", m+off(wrong))
	ts := make([]string, tests)
	for k := range ts {
		n := rng.IntN(80) + 5
		x, y := 0, 1
		for i := 0; i < n; i++ {
			x, y = y, (x+y)%m
		}
		ts[k] = fmt.Sprintf("assert fib(%d) == %d", n, x)
	}
	return prog, ts
}

func genBisect(rng *rand.Rand, wrong bool, tests int) (string, []string) {
	grid := randInts(rng, 12, 200)
	sort.Ints(grid)
	prog := fmt.Sprintf("import bisect\n\nGRID = %s\n\n\ndef rank(x):\n    return bisect.bisect_left(GRID, x) + %d\n", pyList(grid), off(wrong))
	ts := make([]string, tests)
	for k := range ts {
		x := rng.IntN(220)
		ts[k] = fmt.Sprintf("assert rank(%d) == %d", x, sort.SearchInts(grid, x))
	}
	return prog, ts
}

func genLoops(rng *rand.Rand, wrong bool, tests int) (string, []string) {
	b := rng.IntN(10)
	prog := fmt.Sprintf("def primes_below(n):\n    count = 0\n    for k in range(2, n):\n        d = 2\n"+
		"        while d * d <= k:\n            if k %% d == 0:\n                break\n            d += 1\n"+
		"        else:\n            count += 1\n    return count + %d\n", b+off(wrong))
	ts := make([]string, tests)
	for k := range ts {
		n := rng.IntN(600) + 2
		want := 0
		for c := 2; c < n; c++ {
			if isPrime(c) {
				want++
			}
		}
		ts[k] = fmt.Sprintf("assert primes_below(%d) == %d", n, want+b)
	}
	return prog, ts
}

func isPrime(n int) bool {
	for d := 2; d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return n > 1
}

func genExceptions(rng *rand.Rand, wrong bool, tests int) (string, []string) {
	a := rng.IntN(5) + 3
	prog := fmt.Sprintf("def parse(s):\n    try:\n        v = int(s)\n    except ValueError:\n        return -1\n"+
		"    if v %% %d == 0:\n        raise ValueError('multiple of %d')\n    return v // %d\n", a, a, a+off(wrong))
	ts := make([]string, tests)
	for k := range ts {
		switch x := rng.IntN(100); {
		case k%5 == 4:
			ts[k] = fmt.Sprintf("assert parse('x%d') == -1", x)
		default:
			// Multiples of a raise: the test gets an error verdict.
			ts[k] = fmt.Sprintf("assert parse('%d') == %d", x, x/a)
		}
	}
	return prog, ts
}

// genTimeout loops forever on one input; the other tests pass.
func genTimeout(rng *rand.Rand, _ bool, tests int) (string, []string) {
	k := rng.IntN(tests)
	prog := fmt.Sprintf("def step(x):\n    while x == %d:\n        pass\n    return x + 1\n", k)
	ts := make([]string, tests)
	for i := range ts {
		ts[i] = fmt.Sprintf("assert step(%d) == %d", i, i+1)
	}
	return prog, ts
}
