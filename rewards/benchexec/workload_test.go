package benchexec

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"acecoder/internal/shareddata"
	"acecoder/rewards"
)

func TestBuildMix(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		corpora    bool
		timeouts   int
		importing  float64 // share of generated programs that import
		generatedN int
	}{
		{name: "generated only", opts: Options{Programs: 500}, timeouts: 2, importing: 0.70, generatedN: 500},
		{name: "no timeouts", opts: Options{Programs: 500, NoTimeouts: true}, timeouts: 0, importing: 0.70, generatedN: 500},
		{name: "with corpora", opts: Options{Programs: 500}, corpora: true, timeouts: 1, importing: 0.70, generatedN: 350},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.corpora {
				tc.opts.DataDir = shareddata.Dir(t)
			}
			w, err := Build(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Jobs) != tc.opts.Programs {
				t.Fatalf("%d jobs, want %d", len(w.Jobs), tc.opts.Programs)
			}
			generated, importing, timeouts, sum := 0, 0, 0, 0
			for _, p := range w.Mix {
				sum += p.Programs
				if strings.HasPrefix(p.Name, "generated ") {
					generated += p.Programs
					if p.Module != "" {
						importing += p.Programs
					}
				}
				if p.Name == "generated timeout" {
					timeouts = p.Programs
				}
			}
			if sum != len(w.Jobs) || generated != tc.generatedN || timeouts != tc.timeouts {
				t.Errorf("mix %+v: %d programs, %d generated, %d timing out", w.Mix, sum, generated, timeouts)
			}
			if share := float64(importing) / float64(generated); share < tc.importing-0.01 || share > tc.importing+0.01 {
				t.Errorf("%.3f of the generated programs import, want %.2f", share, tc.importing)
			}
			again, _ := Build(tc.opts)
			for i := range w.Jobs {
				if w.Jobs[i].ID != again.Jobs[i].ID || w.Jobs[i].Program != again.Jobs[i].Program {
					t.Fatalf("job %d differs between two builds with one seed", i)
				}
			}
		})
	}
}

// TestFamiliesExpectations runs correct programs of every family in the
// harness (plain Python): each test passes, except the exceptions
// family's raising inputs (an error) and the one input the timeout family
// loops on; so the expected values computed in Go are Python's.
func TestFamiliesExpectations(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("needs /usr/bin/python3")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var jobs []rewards.Job
	for _, f := range families {
		for i := range 12 {
			prog, ts := f.gen(rng, false, 9)
			jobs = append(jobs, rewards.Job{ID: f.name + "/" + string(rune('a'+i)), Program: prog, Tests: ts})
		}
	}
	path := filepath.Join(t.TempDir(), "jobs.jsonl")
	if err := WriteJobs(path, jobs); err != nil {
		t.Fatal(err)
	}
	st, err := RunHarness(context.Background(), "/usr/bin/python3", path, 2, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range jobs {
		family := strings.SplitN(j.ID, "/", 2)[0]
		for k, v := range st.Verdicts[i] {
			ok := v == "pass" || family == "exceptions" && v == "error" || family == "timeout" && v == "timeout"
			if !ok {
				t.Errorf("%s test %q: %s\n%s", j.ID, j.Tests[k], v, j.Program)
			}
		}
	}
}

// TestHarnessAgreesWithRunner: on generated programs the AceCoder-style
// harness and the sandboxed runner pass the same tests of every program,
// so the comparison sets like against like.
func TestHarnessAgreesWithRunner(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("needs /usr/bin/python3")
	}
	w, err := Build(Options{Programs: 120, Tests: 6, NoTimeouts: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jobs.jsonl")
	if err := WriteJobs(path, w.Jobs); err != nil {
		t.Fatal(err)
	}
	h, err := RunHarness(context.Background(), "/usr/bin/python3", path, 2, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r, err := rewards.NewRunner(context.Background(), rewards.RunnerOptions{Workers: 2, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.Run(context.Background(), w.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range res {
		passed := 0
		for _, v := range h.Verdicts[i] {
			if v == "pass" {
				passed++
			}
		}
		if passed != x.Passed {
			t.Errorf("%s: harness passes %d tests, the runner %d (%+v)", w.Jobs[i].ID, passed, x.Passed, x.Tests)
		}
	}
}
