package demo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"acecoder/eval"
	"acecoder/policy"
	"acecoder/policy/tokenizer"
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
	train, err := readTasks(d.trainTasks())
	if err != nil || len(train) < 100 {
		t.Fatalf("%d training tasks, %v", len(train), err)
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
}

func TestReportPrint(t *testing.T) {
	r := &Report{
		BestOfN: []eval.BestOfN{{N: 16, Greedy: 50, Average: 40, Oracle: 80, RM: 60}},
		PassAt1: []PolicyRow{{Policy: "SFT (start)", HeldOut: 50, Train: 60, HeldOutTasks: 10}, {Policy: "RL", HeldOut: 65, Train: 70}},
		Dirs:    map[string]string{"sft": "runs/demo/sft"},
	}
	var b strings.Builder
	r.Print(&b)
	for _, want := range []string{"RM@N", "+10.0", "+15.0", "runs/demo/sft", "10 held-out tasks"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}
