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
	}{{"a", 0.5}, {"b", 0}, {"c", 1}}
	if len(lines) != len(want) {
		t.Fatalf("%d result lines, want %d", len(lines), len(want))
	}
	for i, w := range want {
		var r struct {
			ID       string  `json:"id"`
			PassRate float64 `json:"pass_rate"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &r); err != nil {
			t.Fatal(err)
		}
		if r.ID != w.id || r.PassRate != w.rate {
			t.Errorf("line %d = %+v, want %+v", i, r, w)
		}
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
