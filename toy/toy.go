// Package toy generates the demo's task suite: families of short Python
// function tasks (arithmetic, strings, lists, conditionals), each with a
// question, a reference solution, plausible buggy variants and ~10 assert
// tests, split into disjoint train and held-out sets. Synthesize rewrites
// a split's tests as a test-writing model would, some of them wrong, for
// AceCoder's test filtering to clean.
//
// A task is one (family, parameter) pair, e.g. family "add" with k = 3 asks
// for "def add(x): return x + 3". Each family's parameters are dealt into up
// to three disjoint splits:
//   - train: what the policy is fine-tuned on (its "instruction data");
//   - rl: AceCode-style questions the policy has not been fine-tuned on,
//     used for sampling, preference pairs, reward-model training and RL
//     prompts (optional, Options.RLFrac);
//   - heldout: evaluation only.
//
// Every family appears in every split, but a (family, constant) pair and
// its tests occur in one split only. Expected values are computed in Go;
// the tests check them against real Python.
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
	// WrongTests counts the tests with a wrong expected value (Synthesize);
	// known by construction, for the statistics only.
	WrongTests int `json:"wrong_tests,omitempty"`
	// Mistaken marks a demonstration whose program is the family's common
	// mistake (Buggy[0]) instead of the reference; see WithMistakes.
	Mistaken bool `json:"mistaken,omitempty"`
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
	bugs     []string // buggy bodies, %d for k; bugs[0] is the common mistake
	eval     func(k int, in value) value
	mistake  func(k int, in value) value // what bugs[0] returns
	input    func(k int, rng *rand.Rand) value
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
	RLFrac       float64 // fraction of each family's parameters in the rl split; default 0 (none)
}

// Suite is the generated tasks by split, each sorted by id.
type Suite struct {
	Train   []Task // split "train"
	RL      []Task // split "rl"
	HeldOut []Task // split "heldout"
}

// Generate builds the suite, deterministic in the seed.
func Generate(opts Options) Suite {
	if opts.TestsPerTask == 0 {
		opts.TestsPerTask = 10
	}
	if opts.HeldOutFrac == 0 {
		opts.HeldOutFrac = 0.25
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x70f))
	var s Suite
	for _, f := range families() {
		params := slices.Clone(f.params)
		rng.Shuffle(len(params), func(i, j int) { params[i], params[j] = params[j], params[i] })
		nHeld := max(1, int(float64(len(params))*opts.HeldOutFrac+0.5))
		nRL := 0
		if opts.RLFrac > 0 {
			nRL = max(1, int(float64(len(params))*opts.RLFrac+0.5))
		}
		for i, k := range params {
			switch {
			case i < nHeld:
				s.HeldOut = append(s.HeldOut, makeTask(f, k, "heldout", opts.TestsPerTask, rng))
			case i < nHeld+nRL:
				s.RL = append(s.RL, makeTask(f, k, "rl", opts.TestsPerTask, rng))
			default:
				s.Train = append(s.Train, makeTask(f, k, "train", opts.TestsPerTask, rng))
			}
		}
	}
	byID := func(a, b Task) int { return strings.Compare(a.ID, b.ID) }
	for _, split := range [][]Task{s.Train, s.RL, s.HeldOut} {
		slices.SortFunc(split, byID)
	}
	return s
}

func makeTask(f family, k int, split string, nTests int, rng *rand.Rand) Task {
	// The function is named after its family; the constant is stated
	// in the question alone, so solving an unseen task means reading it.
	name := f.name
	def := fmt.Sprintf("def %s(%s):\n", name, f.arg)
	t := Task{
		ID:     "toy/" + name + "_" + strings.Replace(strconv.Itoa(k), "-", "m", 1), // toy/add_3, toy/clamp_low_m2
		Source: "toy", Family: f.name, Param: k, Split: split, EntryPoint: name,
		Question: fmt.Sprintf(f.question, name, k),
		Program:  def + "    " + fill(f.body, k) + "\n",
	}
	for _, b := range f.bugs {
		t.Buggy = append(t.Buggy, def+"    "+fill(b, k)+"\n")
	}
	t.Tests, _ = drawTests(f, k, nTests, false, 0, rng)
	return t
}

// drawTests draws n asserts on distinct inputs. When misled, the test
// writer shares the family's common mistake: an input where the mistake
// returns something else gets the mistake's value. Otherwise each value is
// a slip with probability slipP. It returns the tests and how many are
// wrong.
func drawTests(f family, k, n int, misled bool, slipP float64, rng *rand.Rand) ([]string, int) {
	var tests []string
	bad := 0
	seen := map[string]bool{}
	for tries := 0; len(tests) < n && tries < 20*n; tries++ {
		in := f.input(k, rng)
		if seen[in.py()] {
			continue
		}
		seen[in.py()] = true
		want := f.eval(k, in)
		if m := f.mistake(k, in); misled && m.py() != want.py() {
			want = m
			bad++
		} else if slipP > 0 && rng.Float64() < slipP {
			want = slip(want)
			bad++
		}
		tests = append(tests, fmt.Sprintf("assert %s(%s) == %s", f.name, in.py(), want.py()))
	}
	return tests, bad
}

// slip returns a value near v but not equal to it: a test writer's
// arithmetic slip.
func slip(v value) value {
	switch v.kind {
	case 'i':
		v.i++
	case 'b':
		v.b = !v.b
	case 's':
		v.s += "a"
	default:
		v.l = append(slices.Clone(v.l), 0)
	}
	return v
}

// Synth sets how Synthesize writes tests. AceCoder has GPT-4o-mini
// imagine about 20 tests per question; about 16 survive the oracle filter.
// A test writer's errors are not independent: one that misreads a question
// gets every test that the misreading touches wrong.
type Synth struct {
	Seed   uint64
	Tests  int     // tests per question
	Misled float64 // share of questions whose writer shares the family's common mistake
	Slip   float64 // probability that any other test's value is a slip
}

// Synthesize returns copies of tasks whose Tests are s.Tests freshly drawn
// asserts (see drawTests), wrong ones counted in WrongTests. The reference
// program passes exactly the right ones, so filtering by it (AceCoder's
// oracle filter) recovers them. Deterministic in the seed.
func Synthesize(tasks []Task, s Synth) []Task {
	rng := rand.New(rand.NewPCG(s.Seed, 0x5e7))
	byName := map[string]family{}
	for _, f := range families() {
		byName[f.name] = f
	}
	out := make([]Task, len(tasks))
	for i, t := range tasks {
		misled := rng.Float64() < s.Misled
		t.Tests, t.WrongTests = drawTests(byName[t.Family], t.Param, s.Tests, misled, s.Slip, rng)
		out[i] = t
	}
	return out
}

// Mistakes sets how often fine-tuning demonstrations carry their family's
// common mistake, as scraped code carries its authors' bugs: a seeded
// Share of the families are "misconception" families whose demonstrations
// use the mistake with probability High; the others with probability Low.
type Mistakes struct {
	Share, High, Low float64
}

// WithMistakes returns copies of tasks (demonstrations for fine-tuning)
// where each program is replaced by its family's first buggy variant with
// the probability m gives its family, marked Mistaken; the question and
// tests are unchanged. Deterministic in the seed. It also returns the
// misconception families, sorted.
func WithMistakes(tasks []Task, seed uint64, m Mistakes) ([]Task, []string) {
	rng := rand.New(rand.NewPCG(seed, 0xb06))
	var fams []string
	for _, f := range families() {
		fams = append(fams, f.name)
	}
	rng.Shuffle(len(fams), func(i, j int) { fams[i], fams[j] = fams[j], fams[i] })
	misled := slices.Clone(fams[:int(float64(len(fams))*m.Share+0.5)])
	slices.Sort(misled)
	out := make([]Task, len(tasks))
	for i, t := range tasks {
		p := m.Low
		if slices.Contains(misled, t.Family) {
			p = m.High
		}
		if len(t.Buggy) > 0 && rng.Float64() < p {
			t.Program, t.Mistaken = t.Buggy[0], true
		}
		out[i] = t
	}
	return out, misled
}

// fill puts k into each of a body template's %d verbs and turns %% into
// %; a template without a %d (e.g. the buggy "return x") keeps its text.
func fill(tmpl string, k int) string {
	return strings.ReplaceAll(strings.ReplaceAll(tmpl, "%d", strconv.Itoa(k)), "%%", "%")
}
