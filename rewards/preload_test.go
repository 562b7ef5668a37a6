package rewards

import (
	"context"
	"strings"
	"testing"
)

// TestPreloadedModulesArePristine: the zygote imports DefaultPreload before
// its first fork, so programs find the modules loaded; a program that
// changes them (module attributes, class methods, sys.modules) changes its
// own copy only, and the next program, on the same worker, sees them as
// imported. Each child also draws its own random numbers.
func TestPreloadedModulesArePristine(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{Workers: 1})
	ctx := context.Background()
	loaded := "import sys\ndef loaded():\n    return sorted(m for m in " + pyStrings(DefaultPreload) + " if m in sys.modules)\n"
	res, err := r.Do(ctx, Job{Program: loaded, Tests: []string{"assert loaded() == sorted(" + pyStrings(DefaultPreload) + ")"}})
	if err != nil || !res.AllPassed {
		t.Fatalf("preloaded modules not in sys.modules at program start: %+v %v", res.Tests, err)
	}
	vandal := "import math, typing, itertools, collections, re, sys, random\n" +
		"math.pi = 3\ntyping.List = None\nitertools.chain = None\n" +
		"collections.Counter.most_common = lambda self, n=None: 'vandalised'\n" +
		"del sys.modules['re']\nre.compile = None\nrandom.seed(0)\n" +
		"def f():\n    return math.pi, typing.List, 're' in sys.modules\n"
	res, err = r.Do(ctx, Job{Program: vandal, Tests: []string{"assert f() == (3, None, False)"}})
	if err != nil || !res.AllPassed {
		t.Fatalf("vandal did not run as written: %+v %v", res.Tests, err)
	}
	check := "import math, typing, itertools, collections, re, sys\n" +
		"def f():\n    return (math.pi, typing.List is None, itertools.chain is None, 're' in sys.modules,\n" +
		"            re.compile is None, collections.Counter('aab').most_common(1))\n"
	res, err = r.Do(ctx, Job{Program: check, Tests: []string{"assert f() == (3.141592653589793, False, False, True, False, [('a', 2)])"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AllPassed {
		t.Errorf("a later program saw an earlier program's changes to preloaded modules: %+v", res.Tests)
	}
	draw := Job{Program: "import random\nprint(random.getrandbits(64))\n", Tests: []string{"assert 1 == 1"}}
	a, errA := r.Do(ctx, draw)
	b, errB := r.Do(ctx, draw)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if strings.TrimSpace(a.Output) == "" || a.Output == b.Output {
		t.Errorf("two programs drew the same random numbers: %q and %q", a.Output, b.Output)
	}
}

// pyStrings renders names as a Python list literal.
func pyStrings(names []string) string {
	return "['" + strings.Join(names, "', '") + "']"
}
