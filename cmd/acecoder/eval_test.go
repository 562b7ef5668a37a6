package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"acecoder/backend"
	"acecoder/eval"
	"acecoder/internal/cli"
	"acecoder/internal/shareddata"
	"acecoder/policy"
	"acecoder/policy/chat"
	"acecoder/policy/tokenizer"
	"acecoder/rewards"
)

// eval with a tiny model on the first tasks of the shared HumanEval and
// MBPP files writes every sample (the greedy one and all N) in evalplus's
// format with evalplus's task ids, in each prompt style; a second run into
// the same directory is refused unless --overwrite.
func TestEvalWritesEvalPlusSamples(t *testing.T) {
	dir := rolloutModelDir(t)
	for _, bench := range []struct{ file, firstID string }{
		{"humaneval/HumanEval.jsonl.gz", "HumanEval/0"},
		{"mbpp/mbpp.jsonl", "Mbpp/1"},
	} {
		path := shareddata.Path(t, "benchmarks", bench.file)
		for _, style := range eval.PromptStyles {
			t.Run(bench.firstID+" "+style, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "run")
				args := []string{"eval", "--model-path", dir, "--bench", path, "--limit", "2", "--n", "3", "--k", "1,2",
					"--generate-max-len", "8", "--prompt-style", style, "--out-dir", out, "-q"}
				code, stdout, errs := runAcecoder(args...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errs)
				}
				rows := readJSONL(t, filepath.Join(out, eval.SamplesFile))
				if len(rows) != 2*(1+3) {
					t.Fatalf("%d samples, want 2 tasks × (greedy + 3)", len(rows))
				}
				if rows[0]["task_id"] != bench.firstID || rows[0]["decoding"] != "greedy" || rows[1]["decoding"] != "sampled" {
					t.Errorf("first rows %v / %v", rows[0], rows[1])
				}
				for _, r := range rows {
					if _, ok := r["solution"].(string); !ok {
						t.Errorf("row without a solution: %v", r)
					}
				}
				if res := readJSONL(t, filepath.Join(out, eval.ResultsFile)); len(res) != 2 || res[0]["n"] != 3.0 {
					t.Errorf("results %v", res)
				}
				if !strings.Contains(stdout, "greedy pass@1") || !strings.Contains(stdout, "pass@2 (n=3)") {
					t.Errorf("summary table:\n%s", stdout)
				}
				code, _, errs = runAcecoder(args...)
				if code != cli.ExitUsage || !strings.Contains(errs, "--overwrite") {
					t.Errorf("second run into %s: exit %d, %s", out, code, errs)
				}
				if code, _, errs = runAcecoder(append(args, "--overwrite")...); code != 0 {
					t.Errorf("--overwrite: exit %d: %s", code, errs)
				}
			})
		}
	}
}

// writeSamples writes rows as a JSONL samples file.
func writeSamples(t *testing.T, path string, rows []map[string]any) {
	t.Helper()
	var b strings.Builder
	for _, r := range rows {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(data, '\n'))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// humanEvalRows reads the shared HumanEval file's rows.
func humanEvalRows(t *testing.T) (string, []map[string]any) {
	t.Helper()
	path := shareddata.Path(t, "benchmarks", "humaneval", "HumanEval.jsonl.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(gz)
	var rows []map[string]any
	for dec.More() {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return path, rows
}

// The canonical HumanEval solutions (prompt + canonical_solution) graded
// through --samples pass every task: pass@1 = 100.0 over all 164; the
// same programs with every return value wrapped in a list pass none.
func TestEvalGradesCanonicalHumanEval(t *testing.T) {
	bench, rows := humanEvalRows(t)
	tmp := t.TempDir()
	var right, wrong []map[string]any
	for _, r := range rows {
		prog := r["prompt"].(string) + r["canonical_solution"].(string)
		right = append(right, map[string]any{"task_id": r["task_id"], "solution": prog})
		// A wrong program: the entry point answers a constant nobody expects.
		bad := prog + "\n\ndef " + r["entry_point"].(string) + "(*args, **kwargs):\n    return object()\n"
		wrong = append(wrong, map[string]any{"task_id": r["task_id"], "solution": bad})
	}
	for _, tc := range []struct {
		name string
		rows []map[string]any
		want string
	}{{"canonical", right, `"pass@1": 100`}, {"wrong", wrong, `"pass@1": 0`}} {
		t.Run(tc.name, func(t *testing.T) {
			samples := filepath.Join(tmp, tc.name+".jsonl")
			writeSamples(t, samples, tc.rows)
			out := filepath.Join(tmp, "run-"+tc.name)
			code, stdout, errs := runAcecoder("eval", "--samples", samples, "--bench", bench, "--out-dir", out, "-q")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			data, err := os.ReadFile(filepath.Join(out, eval.SummaryFile))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), tc.want) || !strings.Contains(string(data), `"tasks": 164`) {
				t.Errorf("summary:\n%s\nstdout:\n%s", data, stdout)
			}
			t.Logf("%s", stdout)
		})
	}
}

// Bad samples files are refused before anything is created, naming the
// file and line.
func TestEvalSamplesErrors(t *testing.T) {
	dir := t.TempDir()
	bench := filepath.Join(dir, "b.jsonl")
	if err := os.WriteFile(bench, []byte(`{"task_id": "T/0", "question": "q", "test_cases": ["assert f() == 1"]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, rows, want string }{
		{"not JSON", "{\"task_id\": \"T/0\", \"solution\": \"x\"}\nnot json\n", "s.jsonl:2:"},
		{"no program", `{"task_id": "T/0"}`, `s.jsonl:1: task T/0: no "solution", "completion" or "inferences"`},
		{"unknown task", `{"task_id": "T/9", "solution": "x"}`, `s.jsonl:1: task "T/9" is not in the benchmark`},
		{"bad decoding", `{"task_id": "T/0", "solution": "x", "decoding": "beam"}`, `s.jsonl:1: "decoding": "beam"`},
		{"empty", "\n", "no samples"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			samples := filepath.Join(dir, "s.jsonl")
			if err := os.WriteFile(samples, []byte(tc.rows), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "run")
			code, _, errs := runAcecoder("eval", "--samples", samples, "--bench", bench, "--out-dir", out, "-q")
			if code != cli.ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d naming %q", code, errs, cli.ExitUsage, tc.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a refused command made %s", out)
			}
		})
	}
}

// Plus tests are reported beside the base ones: a program that hard-codes
// the base outputs passes HumanEval but not HumanEval+.
func TestEvalReportsPlusTests(t *testing.T) {
	dir := t.TempDir()
	bench := filepath.Join("..", "..", "eval", "testdata", "humanevalplus.jsonl")
	samples := filepath.Join(dir, "s.jsonl")
	writeSamples(t, samples, []map[string]any{
		{"task_id": "HumanEval/0", "decoding": "greedy", "solution": "def add(a, b):\n    return {(1, 2): 3, (0, 0): 0, (7, -3): 4}[(a, b)]\n"},
		{"task_id": "HumanEval/1", "decoding": "greedy", "completion": "    return sum(xs) / len(xs)\n"},
	})
	out := filepath.Join(dir, "run")
	code, stdout, errs := runAcecoder("eval", "--samples", samples, "--bench", bench, "--out-dir", out, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	flat := strings.Join(strings.Fields(stdout), " ")
	for _, want := range []string{"greedy pass@1 base tests 100.0 base + plus tests 50.0", "samples: pass 1, fail 0, error 1"} {
		if !strings.Contains(flat, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	res := readJSONL(t, filepath.Join(out, eval.ResultsFile))
	if g := res[0]["greedy"].(map[string]any); g["plus"] != false || g["status"] != "error" {
		t.Errorf("HumanEval/0 result %v", res[0])
	}
}

// bon writes every sample, and for each N the sample the reward model
// ranks first among each task's first N, in evalplus's format.
func TestBoNWritesSelectedSamples(t *testing.T) {
	tmp := t.TempDir()
	_, rmDir := tinyRMDir(t, tmp)
	bench := shareddata.Path(t, "benchmarks", "mbpp", "mbpp.jsonl")
	out := filepath.Join(tmp, "run")
	code, stdout, errs := runAcecoder("bon", "--model-path", rolloutModelDir(t), "--reward-pretrain", rmDir, "--bench", bench,
		"--limit", "2", "--n", "2,4", "--generate-max-len", "6", "--out-dir", out, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if rows := readJSONL(t, filepath.Join(out, eval.SamplesFile)); len(rows) != 2*(1+4) {
		t.Errorf("%d samples, want 2 tasks × (greedy + 4)", len(rows))
	}
	for _, n := range []int{2, 4} {
		rows := readJSONL(t, filepath.Join(out, eval.SelectedFile(n)))
		if len(rows) != 2 || rows[0]["task_id"] != "Mbpp/1" || rows[1]["task_id"] != "Mbpp/2" {
			t.Fatalf("rm@%d rows %v", n, rows)
		}
		for _, r := range rows {
			if idx := r["index"].(float64); idx >= float64(n) || r["solution"] == nil || r["score"] == nil {
				t.Errorf("rm@%d row %v", n, r)
			}
		}
	}
	if !strings.Contains(stdout, "RM@N") {
		t.Errorf("table:\n%s", stdout)
	}
}

// tinyRMDir saves a randomly initialised tiny reward model under dir/rm
// and returns it with that directory.
func tinyRMDir(t *testing.T, dir string) (*rewards.RewardModel, string) {
	t.Helper()
	cfg, err := policy.LoadConfig(filepath.Join("..", "..", "testdata", "rm", "tiny-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := tokenizer.NewByteLevel()
	tmpl, _ := chat.ChatML()
	rm, err := rewards.NewRM(backend.MustOpenGo(), cfg, tok, tmpl, 3)
	if err != nil {
		t.Fatal(err)
	}
	rmDir := filepath.Join(dir, "rm")
	if err := rm.Save(context.Background(), rmDir); err != nil {
		t.Fatal(err)
	}
	return rm, rmDir
}

// On tasks with plus tests (HumanEvalPlus rows) bon prints and writes the
// Table-2 rows twice: on the base tests and on base + plus tests.
func TestBoNPlusColumns(t *testing.T) {
	tmp := t.TempDir()
	_, rmDir := tinyRMDir(t, tmp)
	out := filepath.Join(tmp, "run")
	code, stdout, errs := runAcecoder("bon", "--model-path", rolloutModelDir(t), "--reward-pretrain", rmDir,
		"--bench", filepath.Join("..", "..", "eval", "testdata", "humanevalplus.jsonl"),
		"--limit", "1", "--n", "2", "--generate-max-len", "6", "--out-dir", out, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "base tests") || !strings.Contains(stdout, "base + plus tests") {
		t.Errorf("table without both columns:\n%s", stdout)
	}
	data, err := os.ReadFile(filepath.Join(out, eval.TableFile))
	if err != nil {
		t.Fatal(err)
	}
	var table struct{ Base, Plus []eval.BestOfN }
	if err := json.Unmarshal(data, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Base) != 1 || len(table.Plus) != 1 || table.Base[0].N != 2 || table.Plus[0].N != 2 {
		t.Errorf("%s: %s", eval.TableFile, data)
	}
}
