package toy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitsAreDisjointAndCoverFamilies(t *testing.T) {
	s := Generate(Options{Seed: 1, RLFrac: 0.35})
	if len(s.Train) < 80 || len(s.RL) < 60 || len(s.HeldOut) < 50 {
		t.Fatalf("suite too small: %d train, %d rl, %d held out", len(s.Train), len(s.RL), len(s.HeldOut))
	}
	type key struct {
		family string
		param  int
	}
	owner := map[key]string{}
	ids := map[string]string{}
	families := map[string]map[string]bool{}
	for split, tasks := range map[string][]Task{"train": s.Train, "rl": s.RL, "heldout": s.HeldOut} {
		families[split] = map[string]bool{}
		for _, tk := range tasks {
			if tk.Split != split {
				t.Errorf("%s in %s has split %q", tk.ID, split, tk.Split)
			}
			if prev, ok := owner[key{tk.Family, tk.Param}]; ok {
				t.Errorf("(%s, %d) in both %s and %s", tk.Family, tk.Param, prev, split)
			}
			if prev, ok := ids[tk.ID]; ok {
				t.Errorf("task %s in both %s and %s", tk.ID, prev, split)
			}
			owner[key{tk.Family, tk.Param}], ids[tk.ID] = split, split
			families[split][tk.Family] = true
			for _, text := range append([]string{tk.Question, tk.Program}, tk.Buggy...) {
				if strings.Contains(text, "%!") {
					t.Errorf("%s: badly formatted text %q", tk.ID, text)
				}
			}
			if len(tk.Tests) < 8 {
				t.Errorf("%s has only %d tests", tk.ID, len(tk.Tests))
			}
		}
	}
	for _, split := range []string{"rl", "heldout"} {
		if d := cmp.Diff(families["train"], families[split]); d != "" {
			t.Errorf("every family must appear in train and %s (-train +%s):\n%s", split, split, d)
		}
	}
	if two := Generate(Options{Seed: 1}); len(two.RL) != 0 || len(two.Train) != len(s.Train)+len(s.RL) {
		t.Errorf("without RLFrac: %d rl tasks and %d train, want 0 and %d", len(two.RL), len(two.Train), len(s.Train)+len(s.RL))
	}
}

func TestDeterministic(t *testing.T) {
	a := Generate(Options{Seed: 7, RLFrac: 0.3})
	c := Generate(Options{Seed: 7, RLFrac: 0.3})
	if !cmp.Equal(a, c) {
		t.Error("same seed gave different suites")
	}
	e := Generate(Options{Seed: 8, RLFrac: 0.3})
	if cmp.Equal(a, e) {
		t.Error("different seeds gave the same suite")
	}
}

// checkScript runs every task's reference and buggy programs against its
// tests in real Python and prints, per task, how many tests each fails.
const checkScript = `
import json, sys
out = []
for line in sys.stdin:
    t = json.loads(line)
    def fails(prog):
        n = 0
        for a in t["test_cases"]:
            g = {}
            try:
                exec(prog, g)
                exec(a, g)
            except Exception:
                n += 1
        return n
    out.append({"id": t["id"], "ref": fails(t["program"]), "bugs": [fails(b) for b in t["buggy"]]})
print(json.dumps(out))
`

// pyFailures runs every task's reference and buggy programs against its
// tests in real Python and returns, per task, how many tests each fails.
func pyFailures(t *testing.T, tasks []Task) []pyResult {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	var in strings.Builder
	for _, tk := range tasks {
		line, _ := json.Marshal(tk)
		in.Write(append(line, '\n'))
	}
	cmd := exec.Command(py, "-I", "-S", "-c", checkScript)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var res []pyResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != len(tasks) {
		t.Fatalf("%d results for %d tasks", len(res), len(tasks))
	}
	return res
}

type pyResult struct {
	ID   string
	Ref  int
	Bugs []int
}

func TestAgainstPython(t *testing.T) {
	s := Generate(Options{Seed: 3, RLFrac: 0.3})
	all := slices.Concat(s.Train, s.RL, s.HeldOut)
	bugs, caught := 0, 0
	passed := map[string][]float64{} // family → pass rates of its common mistake
	for i, r := range pyFailures(t, all) {
		if r.Ref != 0 {
			t.Errorf("%s: reference fails %d tests", r.ID, r.Ref)
		}
		for _, n := range r.Bugs {
			bugs++
			if n > 0 {
				caught++
			}
		}
		n := float64(len(all[i].Tests))
		passed[all[i].Family] = append(passed[all[i].Family], (n-float64(r.Bugs[0]))/n)
	}
	if frac := float64(caught) / float64(bugs); frac < 0.9 {
		t.Errorf("only %d of %d buggy variants fail a test", caught, bugs)
	}
	// The common mistake passes part of the tests, so AceCoder's pair rule
	// (rejected pass rate > 0, gap ≥ 0.4) can keep it.
	for fam, rates := range passed {
		mean := 0.0
		for _, r := range rates {
			mean += r / float64(len(rates))
		}
		if mean < 0.15 || mean > 0.8 {
			t.Errorf("%s: the common mistake passes %.2f of the tests on average, want part of them", fam, mean)
		}
	}
	t.Logf("%d tasks; %d of %d buggy variants fail at least one test", len(all), caught, bugs)
}

// family.mistake is what the common mistake (Buggy[0]) returns in Python:
// Buggy[0] passes asserts whose expected values come from it.
func TestMistakeMatchesPython(t *testing.T) {
	s := Generate(Options{Seed: 4})
	byName := map[string]family{}
	for _, f := range families() {
		byName[f.name] = f
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tasks := slices.Clone(s.HeldOut)
	for i, tk := range tasks {
		f := byName[tk.Family]
		tk.Tests = nil
		for range 10 {
			in := f.input(tk.Param, rng)
			tk.Tests = append(tk.Tests, fmt.Sprintf("assert %s(%s) == %s", f.name, in.py(), f.mistake(tk.Param, in).py()))
		}
		tasks[i] = tk
	}
	for _, r := range pyFailures(t, tasks) {
		if r.Bugs[0] != 0 {
			t.Errorf("%s: the common mistake fails %d of the tests built from family.mistake", r.ID, r.Bugs[0])
		}
	}
}

// Synthesized tests: the reference fails exactly the wrong ones, so the
// oracle filter recovers the right ones; a misled writer's wrong tests are
// what the common mistake returns, so it passes them.
func TestSynthesize(t *testing.T) {
	rl := Generate(Options{Seed: 5, RLFrac: 0.25}).RL
	opts := Synth{Seed: 5, Tests: 20, Misled: 0.3, Slip: 0.05}
	syn := Synthesize(rl, opts)
	if !cmp.Equal(syn, Synthesize(rl, opts)) {
		t.Error("same seed gave other tests")
	}
	wrong, total := 0, 0
	for i, r := range pyFailures(t, syn) {
		tk := syn[i]
		if tk.ID != rl[i].ID || tk.Question != rl[i].Question || tk.Program != rl[i].Program {
			t.Fatalf("%s: Synthesize changed more than the tests", tk.ID)
		}
		if len(tk.Tests) < 16 {
			t.Errorf("%s: %d synthesized tests, want about 20", tk.ID, len(tk.Tests))
		}
		if r.Ref != tk.WrongTests {
			t.Errorf("%s: reference fails %d tests, %d are wrong", tk.ID, r.Ref, tk.WrongTests)
		}
		wrong += tk.WrongTests
		total += len(tk.Tests)
	}
	if frac := float64(wrong) / float64(total); frac < 0.12 || frac > 0.28 {
		t.Errorf("%.3f of the synthesized tests are wrong, want about 0.2", frac)
	}
	// With every writer misled and no slips, the common mistake passes
	// every test.
	for _, r := range pyFailures(t, Synthesize(rl, Synth{Seed: 5, Tests: 20, Misled: 1})) {
		if r.Bugs[0] != 0 {
			t.Errorf("%s: the common mistake fails %d tests of a misled writer", r.ID, r.Bugs[0])
		}
	}
}

func TestWithMistakes(t *testing.T) {
	train := Generate(Options{Seed: 2, RLFrac: 0.25}).Train
	demos, misled := WithMistakes(train, 9, Mistakes{Share: 0.5, High: 0.7, Low: 0.1})
	if len(misled) != 7 {
		t.Fatalf("%d misconception families of 14, want 7", len(misled))
	}
	again, _ := WithMistakes(train, 9, Mistakes{Share: 0.5, High: 0.7, Low: 0.1})
	if !cmp.Equal(demos, again) {
		t.Error("same seed gave other demonstrations")
	}
	n := map[bool][2]int{} // misconception family → [mistaken, total]
	for i, d := range demos {
		tk := train[i]
		if d.Question != tk.Question || !slices.Equal(d.Tests, tk.Tests) {
			t.Fatalf("%s: question or tests changed", d.ID)
		}
		switch {
		case d.Mistaken && d.Program != tk.Buggy[0]:
			t.Errorf("%s: marked mistaken but program is %q", d.ID, d.Program)
		case !d.Mistaken && d.Program != tk.Program:
			t.Errorf("%s: not marked but program changed", d.ID)
		}
		c := n[slices.Contains(misled, d.Family)]
		if d.Mistaken {
			c[0]++
		}
		c[1]++
		n[slices.Contains(misled, d.Family)] = c
	}
	hi, lo := float64(n[true][0])/float64(n[true][1]), float64(n[false][0])/float64(n[false][1])
	if hi < 0.6 || hi > 0.8 || lo > 0.2 {
		t.Errorf("mistake rates %.2f (misconception families) and %.2f (others), want about 0.7 and 0.1", hi, lo)
	}
}
