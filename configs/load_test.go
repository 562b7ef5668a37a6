package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/pflag"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func noEnv(string) (string, bool) { return "", false }

const goodRM = `name: x
model:
  init_config: /d/m.json
optim:
  learning_rate: 0.5
train_data: [/d/a.jsonl, /d/b.jsonl]
train_batch_size: 16
micro_train_batch_size: 4
`

func TestLoadFile(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // substring; empty means success
		check   func(t *testing.T, c RM)
	}{
		{name: "good", yaml: goodRM, check: func(t *testing.T, c RM) {
			want := DefaultRM()
			want.Name, want.Model.InitConfig, want.Optim.LearningRate = "x", "/d/m.json", 0.5
			want.TrainData, want.TrainBatchSize, want.MicroBatchSize = []string{"/d/a.jsonl", "/d/b.jsonl"}, 16, 4
			if d := cmp.Diff(want, c); d != "" {
				t.Errorf("config (-want +got):\n%s", d)
			}
		}},
		{name: "int accepted for float", yaml: goodRM + "margin: 1\n", check: func(t *testing.T, c RM) {
			if c.Margin != 1 {
				t.Errorf("margin = %v", c.Margin)
			}
		}},
		{name: "unknown top key", yaml: goodRM + "lerning_rate: 1\n", wantErr: `c.yaml:9: unknown key "lerning_rate"`},
		{name: "unknown nested key", yaml: "optim:\n  lr: 1\n" + goodRM[len("name: x\n"):], wantErr: `c.yaml:2: unknown key "optim.lr"`},
		{name: "typo suggestion", yaml: goodRM + "max_epoch: 2\n", wantErr: `did you mean "max_epochs"`},
		{name: "string for int", yaml: goodRM + "max_epochs: two\n", wantErr: `c.yaml:9: key "max_epochs": want integer, got str "two"`},
		{name: "float for int", yaml: goodRM + "max_epochs: 1.5\n", wantErr: `key "max_epochs": want integer, got float "1.5"`},
		{name: "scalar for list", yaml: strings.Replace(goodRM, "[/d/a.jsonl, /d/b.jsonl]", "a.jsonl", 1), wantErr: `key "train_data": want list of string, got str "a.jsonl"`},
		{name: "empty value", yaml: goodRM + "max_length:\n", wantErr: `key "max_length": want integer, got no value`},
		{name: "validation names keys", yaml: goodRM + "max_epochs: 0\neval_fraction: 2\n", wantErr: `key "max_epochs": must be > 0`},
		{name: "micro batch multiple", yaml: strings.Replace(goodRM, "micro_train_batch_size: 4", "micro_train_batch_size: 5", 1), wantErr: `not a multiple of micro_train_batch_size 5`},
		{name: "bad yaml", yaml: "name: [\n", wantErr: "c.yaml"},
		{name: "not a mapping", yaml: "- a\n- b\n", wantErr: "want a mapping"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultRM()
			err := Load(&c, Sources{File: writeFile(t, tc.yaml), Env: noEnv})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	c := DefaultRM()
	err := Load(&c, Sources{File: "/nonexistent/c.yaml", Env: noEnv})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/c.yaml") {
		t.Fatalf("err = %v, want it to name the file", err)
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	c := DefaultRM()
	err := Load(&c, Sources{File: writeFile(t, "max_epochs: 0\nmax_length: -1\n"), Env: noEnv})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, key := range []string{`"model.path"`, `"train_data"`, `"max_epochs"`, `"max_length"`} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
}

// Precedence: defaults < file < environment < flags.
func TestOverrides(t *testing.T) {
	file := writeFile(t, goodRM+"max_epochs: 3\nmax_length: 100\nmax_steps: 7\n")
	env := map[string]string{
		"ACECODER_MAX_EPOCHS":          "4",
		"ACECODER_MAX_LENGTH":          "200",
		"ACECODER_OPTIM_LEARNING_RATE": "0.25",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c := DefaultRM()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	if err := BindFlags(fs, &c); err != nil {
		t.Fatal(err)
	}
	// Every spelling names the same flag: OpenRLHF's underscores, dashes, dots.
	if err := fs.Parse([]string{"--max_length", "300", "--optim-adam_betas", "0.8,0.9", "--train.data", "z.jsonl"}); err != nil {
		t.Fatal(err)
	}
	if err := Load(&c, Sources{File: file, Flags: fs, Env: lookup}); err != nil {
		t.Fatal(err)
	}
	got := []any{c.MaxEpochs, c.MaxLength, c.MaxSteps, c.Optim.LearningRate, c.Optim.AdamBetas, c.TrainData}
	want := []any{4, 300, 7, 0.25, []float64{0.8, 0.9}, []string{"z.jsonl"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestOverrideTypeErrors(t *testing.T) {
	c := DefaultRM()
	err := Load(&c, Sources{File: writeFile(t, goodRM), Env: func(k string) (string, bool) {
		return "many", k == "ACECODER_MAX_EPOCHS"
	}})
	if err == nil || !strings.Contains(err.Error(), "ACECODER_MAX_EPOCHS") {
		t.Fatalf("err = %v, want it to name the variable", err)
	}
	p := DefaultPolicy()
	err = Load(&p, Sources{Env: func(k string) (string, bool) { return "soon", k == "ACECODER_EXEC_TIMEOUT" }})
	if err == nil || !strings.Contains(err.Error(), "ACECODER_EXEC_TIMEOUT") {
		t.Fatalf("err = %v, want it to name the variable", err)
	}
}

func TestDuration(t *testing.T) {
	p := DefaultPolicy()
	file := writeFile(t, "model: {init_config: m.json}\nprompt_data: [p.jsonl]\nexec_timeout: 1m30s\n")
	if err := Load(&p, Sources{File: file, Env: noEnv}); err != nil {
		t.Fatal(err)
	}
	if p.ExecTimeout != 90*time.Second {
		t.Errorf("exec_timeout = %s", p.ExecTimeout)
	}
	bad := writeFile(t, "model: {init_config: m.json}\nprompt_data: [p.jsonl]\nexec_timeout: 4\n")
	if err := Load(&p, Sources{File: bad, Env: noEnv}); err == nil || !strings.Contains(err.Error(), `"exec_timeout": want duration`) {
		t.Fatalf("err = %v", err)
	}
}

// YAML output loads back to the same config.
func TestYAMLRoundTrip(t *testing.T) {
	c := DefaultPolicy()
	// Paths are absolute, as in the resolved config of a run directory
	// (relative ones would resolve against the file's folder).
	c.Model.InitConfig, c.PromptData, c.Reward, c.RewardModel = "/m/m.json", []string{"/d/p.jsonl", "/d/q.jsonl"}, "rm", "/m/rm-dir"
	c.Runs = "/r/runs"
	text, err := YAML(&c)
	if err != nil {
		t.Fatal(err)
	}
	back := DefaultPolicy()
	if err := Load(&back, Sources{File: writeFile(t, text), Env: noEnv}); err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	// An empty list reads back as an empty slice, which means what nil does.
	if d := cmp.Diff(c, back, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

// Every example config in this folder loads and validates.
func TestExampleConfigs(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example configs: %v", err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			var cfg any
			switch {
			case strings.HasPrefix(f, "rm-"):
				c := DefaultRM()
				cfg = &c
			case strings.HasPrefix(f, "policy-"):
				c := DefaultPolicy()
				cfg = &c
			case strings.HasPrefix(f, "sft-"):
				c := DefaultSFT()
				cfg = &c
			case strings.HasPrefix(f, "sample-"):
				c := DefaultSample()
				cfg = &c
			case strings.HasPrefix(f, "bon-"):
				c := DefaultBoN()
				cfg = &c
			case strings.HasPrefix(f, "eval-"):
				c := DefaultEval()
				cfg = &c
			default:
				t.Fatalf("no config type for %s (name files rm-*, policy-*, sft-*, sample-*, eval-*, bon-*)", f)
			}
			if err := Load(cfg, Sources{File: f, Env: noEnv}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(goodRM))
	f.Add([]byte("optim: {learning_rate: [1]}\n"))
	f.Add([]byte("name: !!binary aGk=\nseed: 0x10\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c := DefaultRM()
		_ = Load(&c, Sources{File: p, Env: noEnv}) // must not panic
	})
}
