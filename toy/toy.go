// Package toy generates the demo's task suite: families of short Python
// function tasks (arithmetic, strings, lists, conditionals), each with a
// question, a reference solution, plausible buggy variants and ~10 assert
// tests, split into disjoint train and held-out sets.
//
// A task is one (family, parameter) pair, e.g. family "add" with k = 3 is
// "def add_3(x): return x + 3". The held-out split holds (family, parameter)
// pairs never seen in training: every family appears in both splits, but a
// held-out task's function name, constant and tests do not occur in any
// training task. Expected values are computed in Go; the tests check them
// against real Python.
package toy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Task is one generated task, in the AceCode row shape plus the extra
// fields the demo uses.
type Task struct {
	ID         string   `json:"id"`
	Source     string   `json:"source"`
	Family     string   `json:"family"`
	Param      int      `json:"param"`
	Split      string   `json:"split"`
	EntryPoint string   `json:"entry_point"`
	Question   string   `json:"question"`
	Program    string   `json:"program"`
	Buggy      []string `json:"buggy"`
	Tests      []string `json:"test_cases"`
}

// family describes one kind of task. Inputs are drawn per task; expected
// values come from eval.
type family struct {
	name   string
	arg    string // "x" (int), "s" (string) or "xs" (list of ints)
	params []int  // the constants k this family is instantiated with
	// question text with %d for k and %s for the function name.
	question string
	body     string   // reference body, %d for k
	bugs     []string // buggy bodies, %d for k
	eval     func(k int, in value) value
}

// value is an int, string or []int; rendered as a Python literal.
type value struct {
	kind byte // 'i', 's', 'l', 'b'
	i    int
	s    string
	l    []int
	b    bool
}

func (v value) py() string {
	switch v.kind {
	case 'i':
		return strconv.Itoa(v.i)
	case 's':
		return pyString(v.s)
	case 'b':
		if v.b {
			return "True"
		}
		return "False"
	}
	parts := make([]string, len(v.l))
	for i, x := range v.l {
		parts[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// pyString renders s as a Python string literal; the generator only uses
// lower-case ASCII letters, so single quotes need no escaping.
func pyString(s string) string { return "'" + s + "'" }

// Options configures Generate.
type Options struct {
	Seed         uint64
	TestsPerTask int     // default 10
	HeldOutFrac  float64 // fraction of each family's parameters held out; default 0.25
}

// Generate builds the suite: train and held-out tasks, deterministic in
// the seed.
func Generate(opts Options) (train, heldOut []Task) {
	if opts.TestsPerTask == 0 {
		opts.TestsPerTask = 10
	}
	if opts.HeldOutFrac == 0 {
		opts.HeldOutFrac = 0.25
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x70f))
	for _, f := range families() {
		params := slices.Clone(f.params)
		rng.Shuffle(len(params), func(i, j int) { params[i], params[j] = params[j], params[i] })
		nHeld := max(1, int(float64(len(params))*opts.HeldOutFrac+0.5))
		for i, k := range params {
			split := "train"
			if i < nHeld {
				split = "heldout"
			}
			t := makeTask(f, k, split, opts.TestsPerTask, rng)
			if split == "train" {
				train = append(train, t)
			} else {
				heldOut = append(heldOut, t)
			}
		}
	}
	byID := func(a, b Task) int { return strings.Compare(a.ID, b.ID) }
	slices.SortFunc(train, byID)
	slices.SortFunc(heldOut, byID)
	return train, heldOut
}

func makeTask(f family, k int, split string, nTests int, rng *rand.Rand) Task {
	name := f.name + "_" + strings.Replace(strconv.Itoa(k), "-", "m", 1) // add_3, clamp_low_m2
	def := fmt.Sprintf("def %s(%s):\n", name, f.arg)
	t := Task{
		ID: "toy/" + name, Source: "toy", Family: f.name, Param: k, Split: split, EntryPoint: name,
		Question: fmt.Sprintf(f.question, name, k),
		Program:  def + "    " + fmt.Sprintf(f.body, k) + "\n",
	}
	for _, b := range f.bugs {
		t.Buggy = append(t.Buggy, def+"    "+fmt.Sprintf(b, k)+"\n")
	}
	seen := map[string]bool{}
	for tries := 0; len(t.Tests) < nTests && tries < 20*nTests; tries++ {
		in := randomInput(f.arg, rng)
		assert := fmt.Sprintf("assert %s(%s) == %s", name, in.py(), f.eval(k, in).py())
		if !seen[assert] {
			seen[assert] = true
			t.Tests = append(t.Tests, assert)
		}
	}
	return t
}

func randomInput(arg string, rng *rand.Rand) value {
	switch arg {
	case "s":
		n := 1 + rng.IntN(6)
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcdexyz"[rng.IntN(8)]
		}
		return value{kind: 's', s: string(b)}
	case "xs":
		n := rng.IntN(6)
		l := make([]int, n)
		for i := range l {
			l[i] = rng.IntN(21) - 5
		}
		return value{kind: 'l', l: l}
	}
	return value{kind: 'i', i: rng.IntN(41) - 10}
}
