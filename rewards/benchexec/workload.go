// Package benchexec measures the sandboxed runner the way a user meets it:
// on a realistic mixed workload (HumanEval and MBPP reference programs with
// generated ones that import, loop, raise and time out), side by side with
// an AceCoder-style harness (a process pool that forks one child per
// program, with no isolation) running the same file.
package benchexec

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"

	"acecoder/rewards"
)

// Options says what workload to build. Zero values take the defaults noted.
type Options struct {
	Programs int    // programs in all; default 500
	Tests    int    // asserts per generated program; default 15
	Seed     uint64 // default 1
	// DataDir holds benchmarks/mbpp/mbpp.jsonl and
	// benchmarks/humaneval/HumanEval.jsonl.gz (the project's ../shared/data).
	// When "" or missing, every program is generated.
	DataDir string
	// NoTimeouts leaves out the generated programs that loop forever on
	// one input (whose cost is the per-test timeout whatever the runner).
	NoTimeouts bool
}

// Share of the programs taken from each corpus when it is present.
const (
	mbppShare      = 0.2
	humanEvalShare = 0.1
	wrongShare     = 0.3 // generated programs with one constant off
)

// Part is one kind of program in a workload.
type Part struct {
	Name     string // family or corpus
	Module   string // module the programs import ("" none, "various" for corpora)
	Programs int
	Tests    int // asserts in all (HumanEval: those of the check function)
}

// Workload is a list of jobs and what it is made of.
type Workload struct {
	Jobs []rewards.Job
	Mix  []Part
}

// Build assembles the workload deterministically from o.Seed.
func Build(o Options) (Workload, error) {
	if o.Programs <= 0 {
		o.Programs = 500
	}
	if o.Tests <= 0 {
		o.Tests = 15
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	rng := rand.New(rand.NewPCG(o.Seed, 16))
	var w Workload
	if o.DataDir != "" {
		if err := w.addCorpora(rng, o); err != nil {
			return w, err
		}
	}
	w.addGenerated(rng, o.Programs-len(w.Jobs), o.Tests, o.NoTimeouts)
	rng.Shuffle(len(w.Jobs), func(i, j int) { w.Jobs[i], w.Jobs[j] = w.Jobs[j], w.Jobs[i] })
	for i := range w.Jobs {
		w.Jobs[i].ID = fmt.Sprintf("%s/%d", w.Jobs[i].ID, i)
	}
	return w, nil
}

// addGenerated appends n generated programs, the families in proportion
// to their weights (largest remainders), so the mix is exact for any n.
func (w *Workload) addGenerated(rng *rand.Rand, n, tests int, noTimeouts bool) {
	counts := make([]int, len(families))
	type rem struct {
		i int
		r float64
	}
	var rems []rem
	left, total := n, 0.0
	weight := func(f family) float64 {
		if noTimeouts && f.name == "timeout" {
			return 0
		}
		return f.weight
	}
	for _, f := range families {
		total += weight(f)
	}
	for i, f := range families {
		x := weight(f) / total * float64(n)
		counts[i] = int(x)
		left -= counts[i]
		rems = append(rems, rem{i, x - float64(counts[i])})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; k < left; k++ {
		if r := rems[k%len(rems)]; weight(families[r.i]) > 0 {
			counts[r.i]++
		} else {
			left++ // give the program to the next family instead
		}
	}
	for i, f := range families {
		if counts[i] == 0 {
			continue
		}
		for range counts[i] {
			prog, ts := f.gen(rng, rng.Float64() < wrongShare, tests)
			w.Jobs = append(w.Jobs, rewards.Job{ID: f.name, Program: prog, Tests: ts})
		}
		w.Mix = append(w.Mix, Part{Name: "generated " + f.name, Module: f.module, Programs: counts[i], Tests: counts[i] * tests})
	}
}

// addCorpora appends a seeded sample of MBPP and HumanEval reference
// programs, when the files are there.
func (w *Workload) addCorpora(rng *rand.Rand, o Options) error {
	mbpp, err := ReadMBPP(filepath.Join(o.DataDir, "benchmarks", "mbpp", "mbpp.jsonl"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	he, err := ReadHumanEval(filepath.Join(o.DataDir, "benchmarks", "humaneval", "HumanEval.jsonl.gz"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	take := func(name string, jobs []rewards.Job, share float64, tests func(rewards.Job) int) {
		n := min(len(jobs), int(share*float64(o.Programs)))
		if n == 0 {
			return
		}
		p := Part{Name: name, Module: "various", Programs: n}
		for _, i := range rng.Perm(len(jobs))[:n] {
			w.Jobs = append(w.Jobs, jobs[i])
			p.Tests += tests(jobs[i])
		}
		w.Mix = append(w.Mix, p)
	}
	take("MBPP reference", mbpp, mbppShare, func(j rewards.Job) int { return len(j.Tests) })
	take("HumanEval canonical", he, humanEvalShare, func(j rewards.Job) int { return 1 })
	return nil
}

// MBPPRow is one line of mbpp.jsonl.
type MBPPRow struct {
	TaskID    int      `json:"task_id"`
	Text      string   `json:"text"`
	Code      string   `json:"code"`
	Setup     string   `json:"test_setup_code"`
	Tests     []string `json:"test_list"`
	Challenge []string `json:"challenge_test_list"`
}

// ReadMBPPRows reads mbpp.jsonl; errors name the file and line.
func ReadMBPPRows(path string) ([]MBPPRow, error) {
	var rows []MBPPRow
	err := readLines(path, false, func(line int, raw []byte) error {
		var r MBPPRow
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		if r.Code == "" || len(r.Tests) == 0 {
			return errors.New("no code or no test_list")
		}
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

// ReadMBPP reads mbpp.jsonl as jobs: the reference code, its setup and its
// test_list.
func ReadMBPP(path string) ([]rewards.Job, error) {
	rows, err := ReadMBPPRows(path)
	jobs := make([]rewards.Job, len(rows))
	for i, r := range rows {
		jobs[i] = rewards.Job{ID: fmt.Sprintf("mbpp-%d", r.TaskID), Program: r.Code, Setup: r.Setup, Tests: r.Tests}
	}
	return jobs, err
}

// ReadHumanEval reads HumanEval.jsonl.gz as jobs with the canonical
// solution as the completion.
func ReadHumanEval(path string) ([]rewards.Job, error) {
	var jobs []rewards.Job
	err := readLines(path, true, func(line int, raw []byte) error {
		var p struct {
			TaskID     string `json:"task_id"`
			Prompt     string `json:"prompt"`
			Solution   string `json:"canonical_solution"`
			Test       string `json:"test"`
			EntryPoint string `json:"entry_point"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return err
		}
		if p.Test == "" || p.EntryPoint == "" {
			return errors.New("no test or entry_point")
		}
		jobs = append(jobs, rewards.Job{ID: p.TaskID, Prompt: p.Prompt, Completion: p.Solution, Test: p.Test, EntryPoint: p.EntryPoint})
		return nil
	})
	return jobs, err
}

// readLines calls fn on every non-empty line of a JSONL file (gzipped when
// gz); an error names the file and the line.
func readLines(path string, gz bool, fn func(line int, raw []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("benchexec: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("benchexec: %s: %w", path, err)
		}
		r = zr
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		if err := fn(n, sc.Bytes()); err != nil {
			return fmt.Errorf("benchexec: %s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("benchexec: %s: %w", path, err)
	}
	return nil
}
