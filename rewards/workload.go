package rewards

import (
	"fmt"
	"math/rand/v2"
)

// BenchWorkload generates n programs with tests asserts each, about 30% of
// them wrong (one constant off by one), deterministically from seed. Each program is one of a few
// small function shapes with its own constants, so each has its own tests.
func BenchWorkload(n, tests int, seed uint64) []Job {
	rng := rand.New(rand.NewPCG(seed, 2))
	jobs := make([]Job, n)
	for i := range jobs {
		a, b := rng.IntN(50)+1, rng.IntN(50)+1
		wrong := rng.Float64() < 0.3
		off := 0
		if wrong {
			off = 1
		}
		var prog string
		var want func(x int) string
		switch i % 3 {
		case 0:
			prog = fmt.Sprintf("def f(x):\n    return x * %d + %d\n", a, b+off)
			want = func(x int) string { return fmt.Sprint(x*a + b) }
		case 1:
			prog = fmt.Sprintf("def f(x):\n    return [v %% %d for v in range(x)][-%d:]\n", a, 1+off)
			want = func(x int) string {
				return fmt.Sprintf("[%d]", (x-1)%a)
			}
		default:
			prog = fmt.Sprintf("def f(x):\n    s = str(x * %d)\n    return {'n': len(s), 's': s[::-1]}\n", a+off)
			want = func(x int) string {
				s := fmt.Sprint(x * a)
				r := []byte(s)
				for l, h := 0, len(r)-1; l < h; l, h = l+1, h-1 {
					r[l], r[h] = r[h], r[l]
				}
				return fmt.Sprintf("{'n': %d, 's': '%s'}", len(s), r)
			}
		}
		ts := make([]string, tests)
		for k := range ts {
			x := k + 2
			ts[k] = fmt.Sprintf("assert f(%d) == %s", x, want(x))
		}
		jobs[i] = Job{ID: fmt.Sprint(i), Program: prog, Tests: ts}
	}
	return jobs
}
