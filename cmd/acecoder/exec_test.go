package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exec runs through the embedded queue by default; results come back in
// input order with per-test verdicts.
func TestExecThroughEmbeddedQueue(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "jobs.jsonl"), filepath.Join(dir, "res.jsonl")
	jobs := `{"id":"a","program":"def f(x): return x+1","tests":["assert f(1) == 2","assert f(2) == 4"]}
{"id":"b","program":"x=","tests":["assert x == 1"]}
{"id":"c","prompt":"def g(x):\n","completion":"    return 2*x\n","test":"def check(candidate):\n    assert candidate(2) == 4\n","entry_point":"g"}
{"id":"d","program":"print(int(input()) * 2)","io":[{"input":"2\n","output":"4\n"},{"input":"3\n","output":"7\n"}]}
{"id":"e","program":"def f(x): return [x, 1.5]","entry_point":"f","calls":[[1],["a"]],"outputs":true}
{"id":"f","program":"def f(x): return [x, 1.5]","entry_point":"f","calls":[[1],["a"]],"expected":[["l",[["i","0x1"],["f","0x1.8p+0"]]],["l",[["s","b"],["f","0x1.8p+0"]]]]}
{"id":"g","program":"def f(x): return x","unittest":"import unittest\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.assertEqual(f(1), 1)\n"}
`
	os.WriteFile(in, []byte(jobs), 0o644)
	code, _, errs := runAcecoder("exec", "--in", in, "--out", out, "--timeout", "3s")
	if code != 0 {
		t.Skipf("exec unavailable here (exit %d): %s", code, errs)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	want := []struct {
		id   string
		rate float64
	}{{"a", 0.5}, {"b", 0}, {"c", 1}, {"d", 0.5}, {"e", 1}, {"f", 0.5}, {"g", 1}}
	if len(lines) != len(want) {
		t.Fatalf("%d result lines, want %d", len(lines), len(want))
	}
	for i, w := range want {
		var r struct {
			ID       string            `json:"id"`
			PassRate float64           `json:"pass_rate"`
			Values   []json.RawMessage `json:"values"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &r); err != nil {
			t.Fatal(err)
		}
		if r.ID != w.id || r.PassRate != w.rate {
			t.Errorf("line %d = %+v, want %+v", i, r, w)
		}
		if r.ID == "e" && (len(r.Values) != 2 || !strings.Contains(string(r.Values[1]), `["s","a"]`)) {
			t.Errorf("outputs job: values %s", r.Values)
		}
	}
}

// exec rejects a job that mixes modes, naming the file, line and job.
func TestExecRejectsMixedJob(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "jobs.jsonl"), filepath.Join(dir, "res.jsonl")
	os.WriteFile(in, []byte(`{"id":"ok","program":"x = 1","tests":["assert x == 1"]}
{"id":"mixed","program":"x = 1","tests":["assert x == 1"],"io":[{"input":"","output":""}]}
`), 0o644)
	code, _, errs := runAcecoder("exec", "--in", in, "--out", out)
	if code == 0 || !strings.Contains(errs, "jobs.jsonl:2") || !strings.Contains(errs, `job "mixed"`) {
		t.Errorf("exit %d, stderr %q: want an error naming line 2 and the job", code, errs)
	}
}

// exec accepts string and number ids and writes each back as it came.
func TestExecKeepsIDs(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "jobs.jsonl"), filepath.Join(dir, "res.jsonl")
	jobs := `{"id":11,"program":"x = 1","tests":["assert x == 1"]}
{"id":"oss_0","program":"x = 1","tests":["assert x == 1"]}
{"id":"12","program":"x = 1","tests":["assert x == 2"]}
{"program":"x = 1","tests":["assert x == 1"]}
`
	os.WriteFile(in, []byte(jobs), 0o644)
	code, _, errs := runAcecoder("exec", "--in", in, "--out", out, "--exec-timeout", "3s")
	if code != 0 {
		t.Skipf("exec unavailable here (exit %d): %s", code, errs)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		got = append(got, string(r["id"]))
	}
	if want := []string{`11`, `"oss_0"`, `"12"`, `"4"`}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ids written back: %v, want %v", got, want)
	}
	code, _, errs = runAcecoder("exec", "--in", writeLines(t, dir, `{"id":{"a":1},"program":"x=1"}`), "--out", out)
	if code == 0 || !strings.Contains(errs, "bad.jsonl:1") || !strings.Contains(errs, "string or a number") {
		t.Errorf("an object id: exit %d, stderr %q; want an error naming the file and line", code, errs)
	}
}

func writeLines(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(p, []byte(body+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
