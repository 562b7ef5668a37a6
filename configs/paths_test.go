package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

// Relative paths set in a file resolve against the file's folder; values
// from flags and the environment stay relative to the working directory;
// keywords (chat_template: plain, resume: latest) are not paths.
func TestPathsResolveAgainstTheConfigFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "configs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "rm.yaml")
	text := "model: {path: ../models/sft, chat_template: plain}\ntrain_data: [../data/a.jsonl, /abs/b.jsonl]\nresume: latest\nout_dir: out\n"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultRM()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	if err := BindFlags(fs, &c); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--eval_data", "e.jsonl"}); err != nil {
		t.Fatal(err)
	}
	if err := Load(&c, Sources{File: file, Flags: fs, Env: noEnv}); err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(dir)
	got := []any{c.Model.Path, c.Model.ChatTemplate, c.TrainData, c.Resume, c.OutDir, c.EvalData, c.Runs}
	want := []any{filepath.Join(root, "models/sft"), "plain", []string{filepath.Join(root, "data/a.jsonl"), "/abs/b.jsonl"},
		"latest", filepath.Join(dir, "out"), []string{"e.jsonl"}, "runs"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("resolved paths (-want +got):\n%s", d)
	}
	if err := AbsPaths(&c); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if c.EvalData[0] != filepath.Join(wd, "e.jsonl") || c.Runs != filepath.Join(wd, "runs") || c.Resume != "latest" {
		t.Errorf("AbsPaths: eval_data %v, runs_dir %q, resume %q", c.EvalData, c.Runs, c.Resume)
	}
}

func TestCheckInputsNamesEveryMissingPath(t *testing.T) {
	dir := t.TempDir()
	have := filepath.Join(dir, "pairs.jsonl")
	if err := os.WriteFile(have, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultRM()
	c.Model.Path = filepath.Join(dir, "no-model")
	c.Model.ChatTemplate = "plain"
	c.TrainData = []string{have, filepath.Join(dir, "gone.jsonl")}
	c.Resume = "latest"
	c.OutDir = filepath.Join(dir, "not-yet") // an output: not checked
	err := CheckInputs(&c)
	if err == nil {
		t.Fatal("missing inputs passed")
	}
	for _, want := range []string{`key "model.path": ` + c.Model.Path, `key "train_data": ` + c.TrainData[1]} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	for _, not := range []string{"plain", "latest", "not-yet", have + ":"} {
		if strings.Contains(err.Error(), not) {
			t.Errorf("error %q names %q, which is fine", err, not)
		}
	}
	byKey, other := KeyErrors(err)
	if len(byKey) != 2 || len(other) != 0 {
		t.Errorf("KeyErrors: %d key errors, %d others; want 2, 0", len(byKey), len(other))
	}
}

// The template --print-config prints without a config file marks the keys
// that still need a value, and loads back once they are filled in.
func TestMarkedYAMLIsATemplate(t *testing.T) {
	c := DefaultRM()
	if err := Load(&c, Sources{Env: noEnv, NoValidate: true}); err != nil {
		t.Fatal(err)
	}
	text, err := MarkedYAML(&c, c.Validate())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  # REQUIRED: give a model directory (or model.init_config for a random model)\n  path: \"\"\n",
		"# REQUIRED: at least one pair file is needed\ntrain_data: []\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("template lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "REQUIRED") != 2 || strings.Contains(text, "INVALID") {
		t.Errorf("want exactly two marks:\n%s", text)
	}
	filled := strings.Replace(strings.Replace(text, `path: ""`, "path: /m", 1), "train_data: []", "train_data: [/p.jsonl]", 1)
	back := DefaultRM()
	if err := Load(&back, Sources{File: writeFile(t, filled), Env: noEnv}); err != nil {
		t.Fatalf("filled template does not load: %v", err)
	}
	bad := DefaultRM()
	bad.Model.Path, bad.TrainData, bad.MaxEpochs = "/m", []string{"/p"}, -1
	text, _ = MarkedYAML(&bad, bad.Validate())
	if !strings.Contains(text, "# INVALID: must be > 0, got -1\nmax_epochs: -1\n") {
		t.Errorf("an invalid value is not marked INVALID:\n%s", text)
	}
}

func TestRenamedKeyIsNamed(t *testing.T) {
	c := DefaultEval()
	err := Load(&c, Sources{File: writeFile(t, "model: {path: m}\nbench: b.jsonl\nmax_new_tokens: 5\n"), Env: noEnv})
	if err == nil || !strings.Contains(err.Error(), `c.yaml:3: unknown key "max_new_tokens" (renamed to "generate_max_len")`) {
		t.Fatalf("err = %v", err)
	}
}

func TestFlagNames(t *testing.T) {
	for key, want := range map[string]string{
		"optim.learning_rate": "optim-learning-rate", "micro_train_batch_size": "micro-train-batch-size", "n": "n",
	} {
		if got := FlagName(key); got != want {
			t.Errorf("FlagName(%q) = %q, want %q", key, got, want)
		}
	}
}

// train-policy checks the reward model only when it uses one.
func TestUnusedInputsAreNotChecked(t *testing.T) {
	dir := t.TempDir()
	c := DefaultPolicy()
	c.Model.Path, c.PromptData, c.RewardModel = dir, []string{dir}, filepath.Join(dir, "no-rm")
	c.Reward = "rule"
	if err := CheckInputs(&c); err != nil {
		t.Errorf("reward: rule: %v", err)
	}
	c.Reward = "rm"
	if err := CheckInputs(&c); err == nil || !strings.Contains(err.Error(), `key "reward_pretrain": `+c.RewardModel) {
		t.Errorf("reward: rm: %v", err)
	}
}
