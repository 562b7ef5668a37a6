package toy

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitsAreDisjointAndCoverFamilies(t *testing.T) {
	train, held := Generate(Options{Seed: 1})
	if len(train) < 100 || len(held) < 30 {
		t.Fatalf("suite too small: %d train, %d held out", len(train), len(held))
	}
	trainNames := map[string]bool{}
	trainFam, heldFam := map[string]bool{}, map[string]bool{}
	for _, tk := range train {
		trainNames[tk.EntryPoint] = true
		trainFam[tk.Family] = true
		if tk.Split != "train" {
			t.Errorf("%s in train has split %q", tk.ID, tk.Split)
		}
	}
	for _, tk := range held {
		heldFam[tk.Family] = true
		if trainNames[tk.EntryPoint] {
			t.Errorf("held-out task %s also in train", tk.ID)
		}
		for _, tr := range train {
			if tr.Family == tk.Family && tr.Param == tk.Param {
				t.Errorf("held-out (%s, %d) also in train", tk.Family, tk.Param)
			}
		}
	}
	if d := cmp.Diff(trainFam, heldFam); d != "" {
		t.Errorf("every family must appear in both splits (-train +held):\n%s", d)
	}
	for _, tk := range append(train, held...) {
		if len(tk.Tests) < 8 {
			t.Errorf("%s has only %d tests", tk.ID, len(tk.Tests))
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b := Generate(Options{Seed: 7})
	c, d := Generate(Options{Seed: 7})
	if !cmp.Equal(a, c) || !cmp.Equal(b, d) {
		t.Error("same seed gave different suites")
	}
	e, _ := Generate(Options{Seed: 8})
	if cmp.Equal(a, e) {
		t.Error("different seeds gave the same suite")
	}
}

// checkScript runs every task's reference and buggy programs against its
// tests in real Python and prints, per task, the reference's failures and
// how many buggy variants fail at least one test.
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

func TestAgainstPython(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	train, held := Generate(Options{Seed: 3})
	var in strings.Builder
	for _, tk := range append(train, held...) {
		line, _ := json.Marshal(tk)
		in.Write(append(line, '\n'))
	}
	cmd := exec.Command(py, "-I", "-S", "-c", checkScript)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var res []struct {
		ID   string
		Ref  int
		Bugs []int
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	bugs, caught := 0, 0
	for _, r := range res {
		if r.Ref != 0 {
			t.Errorf("%s: reference fails %d tests", r.ID, r.Ref)
		}
		for _, n := range r.Bugs {
			bugs++
			if n > 0 {
				caught++
			}
		}
	}
	if frac := float64(caught) / float64(bugs); frac < 0.9 {
		t.Errorf("only %d of %d buggy variants fail a test", caught, bugs)
	}
	t.Logf("%d tasks; %d of %d buggy variants fail at least one test", len(res), caught, bugs)
}
