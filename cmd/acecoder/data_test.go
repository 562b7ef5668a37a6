package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataCommands drives synth and filter against a loopback server that
// replays one recorded reply, then pairs, hard and stats on a small file.
func TestDataCommands(t *testing.T) {
	reply := "```json\n" + `{"question": "Write sq(x) returning x squared.", "tests": ["assert sq(2) == 4", "assert sq(0) == 0", "assert sq(-3) == 9", "assert sq(1) == 1", "assert sq(5) == 25", "assert sq(3) == 10"]}` + "\n```"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": reply}}}})
	}))
	defer srv.Close()
	t.Setenv("DATA_TEST_KEY", "secret")
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	os.WriteFile(p("seeds.jsonl"), []byte(`{"id":"s1","program":"def sq(x):\n    print(x)\n    return x * x\n"}`+"\n{oops\n"), 0o644)

	code, out, errs := runAcecoder("data", "synth", "-q", "--in", p("seeds.jsonl"), "--out", p("q.jsonl"),
		"--endpoint", srv.URL, "--endpoint-model", "m", "--api-key-env", "DATA_TEST_KEY")
	if code != 0 || !strings.Contains(out, "written                      1") || !strings.Contains(out, "malformed input lines        1") {
		t.Fatalf("synth exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runAcecoder("data", "filter", "-q", "--in", p("q.jsonl"), "--out", p("f.jsonl"), "--oracle", "program", "--exec-workers", "1")
	if code != 0 || !strings.Contains(out, "tests after                  5") {
		t.Fatalf("filter exit %d\n%s\n%s", code, out, errs)
	}

	sampled := `{"id":"a","source":"x","question":"q","test_cases":["assert 1"],"inferences":[{"model_name":"m","completion_id":0,"completion":"good","pass_rate":1,"test_results":[1]},{"model_name":"m","completion_id":1,"completion":"bad","pass_rate":0.5,"test_results":[0]}],"context_messages":[{"role":"user","content":"prompt a"}]}` + "\n" +
		`{"id":"b","source":"x","question":"q","test_cases":["assert 1"],"inferences":[{"model_name":"m","completion_id":0,"completion":"c","pass_rate":1,"test_results":[1]}],"context_messages":[]}` + "\n"
	os.WriteFile(p("s.jsonl"), []byte(sampled), 0o644)
	if code, out, errs = runAcecoder("data", "pairs", "--in", p("s.jsonl"), "--out", p("pairs.jsonl"), "--factory-out", p("lf.jsonl")); code != 0 {
		t.Fatalf("pairs exit %d\n%s\n%s", code, out, errs)
	}
	lf, _ := os.ReadFile(p("lf.jsonl"))
	pre := `Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:\n` + "```python\\n"
	want := `{"instruction":"Please provide a self-contained Python script that solves the following problem in a markdown code block:\n` + "```" +
		`\n\"\"\"\nq\nassert 1\n\"\"\"\n\n` + "```" + `\n","input":"","chosen":"` + pre + "good\\n```" + `","rejected":"` + pre + "bad\\n```" + `","id":0}` + "\n"
	if string(lf) != want {
		t.Errorf("AceCodePair rows:\n%s\nwant\n%s", lf, want)
	}
	if code, out, errs = runAcecoder("data", "pairs", "--in", p("s.jsonl"), "--out", p("pairs.jsonl"), "--factory-out", p("lf.jsonl"), "--factory-format", "completions"); code != 0 {
		t.Fatalf("pairs exit %d\n%s\n%s", code, out, errs)
	}
	lf, _ = os.ReadFile(p("lf.jsonl"))
	if string(lf) != `{"instruction":"prompt a","input":"","chosen":"good","rejected":"bad","id":0}`+"\n" {
		t.Errorf("LLaMA-Factory pairs: %s", lf)
	}
	if code, _, _ = runAcecoder("data", "pairs", "--in", p("s.jsonl"), "--out", p("pairs.jsonl"), "--factory-format", "x"); code != 2 {
		t.Errorf("pairs --factory-format x: exit %d, want 2", code)
	}
	if code, out, errs = runAcecoder("data", "hard", "--in", p("s.jsonl"), "--out", p("hard.jsonl")); code != 0 {
		t.Fatalf("hard exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runAcecoder("data", "stats", p("f.jsonl"), p("pairs.jsonl"))
	if code != 0 || !strings.Contains(out, "all                      1      5.00         0         0") || !strings.Contains(out, "pairs over 1 questions") {
		t.Fatalf("stats exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, _ = runAcecoder("data", "synth", "--in", p("seeds.jsonl")); code != 2 {
		t.Errorf("synth without --out: exit %d, want 2", code)
	}
}
