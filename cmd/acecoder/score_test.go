package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScoreAddsRewards(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rm, _ := tinyRMDir(t, dir)
	in := filepath.Join(dir, "samples.jsonl")
	lines := []string{
		`{"task_id": "a", "question": "Add a and b.", "completion": "def f(a,b): return a+b", "extra": [1, 2]}`,
		`{"instruction": "Negate x.", "input": "x is an int", "response": "def g(x): return -x"}`,
	}
	os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n\n"), 0o644)
	var out bytes.Buffer
	o := scoreOptions{rm: filepath.Join(dir, "rm"), in: in, backend: "go", field: "reward", batch: 2, maxLength: 512}
	if err := runScore(ctx, o, &out); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	want, err := rm.ScorePairs(ctx, []string{"Add a and b.", "Negate x.\nx is an int"}, []string{"def f(a,b): return a+b", "def g(x): return -x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(lines) {
		t.Fatalf("%d output lines, want %d", len(got), len(lines))
	}
	for i, line := range got {
		if !strings.HasPrefix(line, strings.TrimSuffix(lines[i], "}")) {
			t.Errorf("line %d does not keep the input: %s", i, line)
		}
		var rec struct{ Reward float32 }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Reward != want[i] {
			t.Errorf("line %d: reward %g, want %g", i, rec.Reward, want[i])
		}
	}
	o.field = "extra"
	if err := runScore(ctx, o, &out); err == nil || !strings.Contains(err.Error(), `"extra"`) {
		t.Errorf("existing field: err = %v", err)
	}
}

func TestWithField(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"object", `{"a":1}`, `{"a":1,"reward":0.5}`},
		{"empty object", `{}`, `{"reward":0.5}`},
		{"spaces", `{ "a": 1 } `, `{ "a": 1 ,"reward":0.5}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(withField([]byte(tc.in), "reward", 0.5)); got != tc.want {
				t.Errorf("withField = %s, want %s", got, tc.want)
			}
		})
	}
}
