package demo

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"acecoder/data"
	"acecoder/eval"
	"acecoder/policy"
	"acecoder/policy/tokenizer"
	"acecoder/toy"
)

// The first stages write the task suite, a tokenizer that fits the model's
// vocabulary, and the model config; rerunning them changes nothing.
func TestDataStages(t *testing.T) {
	d := &run{opts: Options{Dir: t.TempDir(), Seed: 1, Log: &strings.Builder{}, Scale: Smoke}, report: &Report{Dirs: map[string]string{}}}
	for range 2 {
		if err := d.tasks(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := d.tokenizer(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	train, err := readTasks(d.sftTasks())
	if err != nil || len(train) < 80 {
		t.Fatalf("%d fine-tuning tasks, %v", len(train), err)
	}
	rl, err := readTasks(d.rlUnfiltered())
	if err != nil || len(rl) < 60 {
		t.Fatalf("%d rl tasks, %v", len(rl), err)
	}
	var demos []toy.Task
	bad, err := data.ReadJSONL(context.Background(), d.sftTasks(), func(_ int, tk toy.Task) error {
		demos = append(demos, tk)
		return nil
	})
	if err != nil || len(bad) > 0 {
		t.Fatalf("reading %s: %v, %d bad lines", d.sftTasks(), err, len(bad))
	}
	mistaken := 0
	for _, tk := range demos {
		if tk.Mistaken {
			mistaken++
		}
	}
	if frac := float64(mistaken) / float64(len(demos)); frac < 0.2 || frac > 0.5 {
		t.Errorf("%.2f of the fine-tuning programs carry a mistake; the demo sets about 0.35", frac)
	}
	tok, err := tokenizer.LoadDir(d.path("tokenizer"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := policy.LoadConfig(d.path("model-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() > cfg.VocabSize {
		t.Errorf("tokenizer has %d ids, model %d", tok.VocabSize(), cfg.VocabSize)
	}
	if ids := tok.Encode(train[0].Reference, false); tok.Decode(ids, false) != train[0].Reference {
		t.Error("tokenizer does not round-trip a reference program")
	}
	if _, err := os.Stat(filepath.Join(d.opts.Dir, "data", "heldout-tasks.jsonl")); err != nil {
		t.Error(err)
	}
	// The rl questions come with about 20 synthesized tests each, some
	// wrong, as the filter's input.
	wrong, tests := 0, 0
	if _, err := data.ReadJSONL(context.Background(), d.rlUnfiltered(), func(_ int, tk toy.Task) error {
		wrong, tests = wrong+tk.WrongTests, tests+len(tk.Tests)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if frac := float64(wrong) / float64(tests); tests < 20*len(rl)*9/10 || frac < 0.1 || frac > 0.3 {
		t.Errorf("%d synthesized tests for %d rl questions, %.2f wrong; want about 20 each, a fifth wrong", tests, len(rl), frac)
	}
}

func TestReportPrint(t *testing.T) {
	r := &Report{
		Filter:  FilterStats{Questions: 3, Tests: 60, Wrong: 12, KeptQuestions: 3, Kept: 48},
		BestOfN: []eval.BestOfN{{N: 16, Greedy: 50, Average: 40, Oracle: 80, RM: 60}},
		RMs: []RMRow{{Tests: "filtered", Pairs: PairStats{Pairs: 150, Questions: 140}, PairAcc: 97.5, RMAtN: 60},
			{Tests: "unfiltered", Pairs: PairStats{Pairs: 200, Questions: 190, Wrong: 50}, PairAcc: 90, RMAtN: 55}},
		HeldOutPairs: 120, PairQuestions: 100,
		PassAt1: []PolicyRow{{Policy: "SFT (start)", HeldOut: 50, RL: 60, HeldOutTasks: 10}, {Policy: "RL", HeldOut: 65, RL: 70}},
		Curves:  []Curve{{Run: "rl-rm", Rollouts: 50, RewardFirst: -0.5, RewardLast: 1.5, PassFirst: 0.6, PassLast: 0.9}},
		Dirs:    map[string]string{"sft": "runs/demo/sft"},
	}
	var b strings.Builder
	r.Print(&b)
	for _, want := range []string{"RM@N", "+10.0", "+15.0", "runs/demo/sft", "10 held-out tasks", "60 synthesized tests (12 wrong)",
		"kept 48 tests", "120 held-out pairs", "unfiltered tests", "97.5", "-0.500 → 1.500", "0.600 → 0.900 (measured, not trained on)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

// Until stops after the named stage; an unknown name is an error before
// anything runs.
func TestRunUntil(t *testing.T) {
	dir := t.TempDir()
	if _, err := Run(context.Background(), Options{Dir: dir, Seed: 1, Scale: Smoke, Until: "no-such"}); err == nil || !strings.Contains(err.Error(), "no stage") {
		t.Fatalf("unknown stage: err %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("an unknown --until still ran stages")
	}
	if _, err := Run(context.Background(), Options{Dir: dir, Seed: 1, Scale: Smoke, Until: "tokenizer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tokenizer", "tokenizer.json")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sft")); err == nil {
		t.Error("stages after tokenizer ran")
	}
}

// The smoke scale runs every stage end to end (about two minutes on two
// cores): both tables are filled, every training stage saved a model, and
// a second run resumes without redoing any stage.
func TestSmokeDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every stage of the demo")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 for the sandboxed runner")
	}
	dir := t.TempDir()
	rep, err := Run(context.Background(), Options{Dir: dir, Seed: 42, Quiet: true, Scale: Smoke})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rep.BestOfN); n != 3 { // N = 1, 2, 4 for 4 samples
		t.Errorf("best-of-N table has %d rows, want 3", n)
	}
	for _, row := range rep.BestOfN {
		if row.Oracle+1e-9 < row.Average || row.Oracle+1e-9 < row.RM {
			t.Errorf("N=%d: oracle %.1f below average %.1f or RM %.1f", row.N, row.Oracle, row.Average, row.RM)
		}
	}
	if len(rep.PassAt1) != 3 || rep.PassAt1[0].HeldOutTasks == 0 {
		t.Errorf("pass@1 table %+v, want 3 policies on the held-out tasks", rep.PassAt1)
	}
	if len(rep.RMs) != 2 || rep.RMs[0].Tests != "filtered" || rep.RMs[1].Tests != "unfiltered" || rep.HeldOutPairs == 0 {
		t.Errorf("Table 5 rows %+v from %d held-out pairs, want filtered and unfiltered", rep.RMs, rep.HeldOutPairs)
	}
	if rep.Filter.Kept == 0 || rep.Filter.Kept+rep.Filter.Wrong != rep.Filter.Tests {
		t.Errorf("filter stats %+v: the oracle must keep exactly the right tests", rep.Filter)
	}
	if len(rep.Curves) != 2 || rep.Curves[1].Run != "rl-rm" || rep.Curves[1].Rollouts != Smoke.RLSteps {
		t.Errorf("RL curves %+v, want both runs with %d rollouts", rep.Curves, Smoke.RLSteps)
	}
	for _, stage := range []string{"sft", "rm", "rm-unfiltered", "rl-rule", "rl-rm"} {
		if _, err := os.Stat(filepath.Join(dir, stage, "model", "config.json")); err != nil {
			t.Errorf("stage %s saved no model: %v", stage, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "report.txt")); err != nil {
		t.Error(err)
	}
	var log strings.Builder
	again, err := Run(context.Background(), Options{Dir: dir, Seed: 42, Quiet: true, Scale: Smoke, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "steps done") || strings.Contains(log.String(), "rollouts done") {
		t.Errorf("the rerun trained again:\n%s", log.String())
	}
	if !reflect.DeepEqual(again.BestOfN, rep.BestOfN) || !reflect.DeepEqual(again.RMs, rep.RMs) || again.Filter != rep.Filter {
		t.Errorf("the rerun's tables differ: %+v %+v %+v vs %+v %+v %+v", again.BestOfN, again.RMs, again.Filter, rep.BestOfN, rep.RMs, rep.Filter)
	}
}
