package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"acecoder/backend"
	"acecoder/internal/cli"
	"acecoder/policy"
)

// rolloutModelDir saves a random tiny Qwen2 with the tiny512 tokenizer (a
// ChatML template) into a temporary Hugging Face directory.
func rolloutModelDir(t *testing.T) string {
	t.Helper()
	cfg, err := policy.LoadConfig(filepath.Join("..", "..", "testdata", "models", "tiny-qwen2", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := policy.New(backend.MustOpenGo(), cfg, policy.InitOptions{Seed: 1, Std: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(context.Background(), dir, policy.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "tokenizer", "tiny512", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSampleCommand(t *testing.T) {
	dir := rolloutModelDir(t)
	tmp := t.TempDir()
	prompts := filepath.Join(tmp, "prompts.jsonl")
	lines := `{"task_id":"HumanEval/0","question":"Add two numbers."}` + "\n\n" +
		`{"id":7,"messages":[{"role":"user","content":"hi"}]}` + "\n"
	if err := os.WriteFile(prompts, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"full", "evalplus"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(tmp, format+".jsonl")
			var errb bytes.Buffer
			args := []string{"sample", "--model-path", dir, "--prompts", prompts, "--n", "3", "--generate_max_len", "6",
				"--temperature", "0.7", "--out", out, "--format", format, "--out-dir", filepath.Join(tmp, "run-"+format), "-q"}
			if code := cli.Run(context.Background(), newRoot(), args, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			rows := readJSONL(t, out)
			if len(rows) != 6 {
				t.Fatalf("%d samples, want 2 prompts × 3", len(rows))
			}
			tasks := map[any]int{}
			for _, r := range rows {
				tasks[r["task_id"]]++ // ids come back as the prompts gave them
				if format == "evalplus" {
					if _, ok := r["solution"].(string); !ok || len(r) != 2 {
						t.Errorf("evalplus row %v: want exactly task_id and solution", r)
					}
					continue
				}
				ids, lps := r["completion_ids"].([]any), r["logprobs"].([]any)
				if len(ids) == 0 || len(ids) > 6 || len(lps) != len(ids) || len(r["raw_logprobs"].([]any)) != len(ids) {
					t.Errorf("row %v: completion and log-prob lengths", r)
				}
				if fr := r["finish_reason"]; fr != "stop" && fr != "length" {
					t.Errorf("finish reason %v", fr)
				}
			}
			if tasks["HumanEval/0"] != 3 || tasks[float64(7)] != 3 {
				t.Errorf("samples per task %v", tasks)
			}
		})
	}
}

func TestSampleCommandErrors(t *testing.T) {
	dir := rolloutModelDir(t)
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"task_id":"x"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, want string
		args       []string
		code       int
	}{
		{"no prompts key", "prompts", []string{"sample", "--model-path", dir, "--prompts", ""}, cli.ExitUsage},
		{"prompt without text", "no question, prompt or messages", []string{"sample", "--model-path", dir, "--prompts", bad, "--out", filepath.Join(tmp, "o.jsonl")}, cli.ExitFailure},
		{"bad temperature", "temperature", []string{"sample", "--model-path", dir, "--prompts", bad, "--temperature", "-1"}, cli.ExitUsage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			args := append(tc.args, "--out_dir", filepath.Join(tmp, strings.ReplaceAll(tc.name, " ", "-")), "-q")
			if code := cli.Run(context.Background(), newRoot(), args, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d, stderr %q: want exit %d naming %q", code, errb.String(), tc.code, tc.want)
			}
		})
	}
}

func TestSolutionExtraction(t *testing.T) {
	cases := []struct{ name, template, text, want string }{
		{"acecoder continues the fence", "acecoder", "def f():\n    return 1\n```\nExplanation", "def f():\n    return 1\n"},
		{"acecoder without a closing fence", "acecoder", "def f(): pass", "def f(): pass"},
		{"chat fenced block", "chat", "Here:\n```python\nx = 1\n```\n", "x = 1\n"},
		{"chat plain text", "chat", "x = 1", "x = 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := solution(tc.template, tc.text); got != tc.want {
				t.Errorf("solution = %q, want %q", got, tc.want)
			}
		})
	}
}

func readJSONL(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

func FuzzParsePromptRow(f *testing.F) {
	f.Add([]byte(`{"task_id":"a","question":"q"}`))
	f.Add([]byte(`{"id":3,"messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`{"prompt":""}`))
	f.Add([]byte(`{"id":"oss_0","question":"q"}`))
	f.Add([]byte(`{"task_id":11,"id":"x","prompt":"p"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := parsePromptRow(line, 4)
		if err != nil {
			return
		}
		if r.TaskID.IsZero() || (r.Question == "" && r.Prompt == "" && len(r.Messages) == 0) {
			t.Errorf("accepted row %+v without a name or text", r)
		}
		// The name is written back as the row gave it (task_id, else id).
		var raw map[string]json.RawMessage
		if json.Unmarshal(line, &raw) != nil {
			return
		}
		given := raw["task_id"]
		if len(given) == 0 || string(given) == "null" {
			given = raw["id"]
		}
		out, _ := json.Marshal(r.TaskID)
		if len(given) > 0 && string(given) != "null" && !jsonEqual(given, out) {
			t.Errorf("row %s: task_id written back as %s", line, out)
		}
	})
}

// jsonEqual compares two JSON values after decoding (numbers as written).
func jsonEqual(a, b []byte) bool {
	var x, y any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	return da.Decode(&x) == nil && db.Decode(&y) == nil && reflect.DeepEqual(x, y)
}

func TestPromptRowIDs(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"string id (AceCode-87K)", `{"id":"oss_0","question":"q"}`, `"oss_0"`},
		{"number id (MBPP)", `{"task_id":11,"prompt":"p"}`, `11`},
		{"task_id before id", `{"task_id":"HumanEval/0","id":3,"prompt":"p"}`, `"HumanEval/0"`},
		{"none: the index", `{"prompt":"p"}`, `"7"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parsePromptRow([]byte(tc.line), 7)
			if err != nil {
				t.Fatal(err)
			}
			if out, _ := json.Marshal(r.TaskID); string(out) != tc.want {
				t.Errorf("task_id %s, want %s", out, tc.want)
			}
		})
	}
	if _, err := parsePromptRow([]byte(`{"id":[1],"prompt":"p"}`), 0); err == nil || !strings.Contains(err.Error(), "string or a number") {
		t.Errorf("an array id: %v, want an error naming the allowed kinds", err)
	}
}
