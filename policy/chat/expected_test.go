package chat

import (
	"acecoder/internal/shareddata"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// chatCase is one entry of chat_cases.json, decoded with key order kept.
type chatCase struct {
	name string
	Case
}

// CaseFromJSON is exercised here through loadCases; the CLI uses it too.
func loadCases(tb testing.TB, path string) []chatCase {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		tb.Fatal(err)
	}
	var cases []chatCase
	for _, r := range raws {
		c, err := CaseFromJSON(r)
		if err != nil {
			tb.Fatal(err)
		}
		name, _ := c.Options.Extra["name"].(string)
		cases = append(cases, chatCase{name: name, Case: c})
	}
	return cases
}

func TestExpectedRenderings(t *testing.T) {
	dir := filepath.Join(shareddata.Dir(t), "chat_templates")
	cases := loadCases(t, filepath.Join(dir, "chat_cases.json"))
	var expected map[string]string
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &expected); err != nil {
		t.Fatal(err)
	}
	templates := map[string]map[string]any{
		"qwen2.5-instruct":   {"bos_token": nil, "eos_token": "<|im_end|>"},
		"llama3-8b-instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
	}
	n := 0
	for name, vars := range templates {
		tmpl, err := LoadFile(filepath.Join(dir, name+".jinja"))
		if err != nil {
			t.Fatal(err)
		}
		tmpl = tmpl.WithVars(vars)
		for _, c := range cases {
			key := name + "/" + c.name
			want, ok := expected[key]
			if !ok {
				t.Fatalf("expected.json lacks %s", key)
			}
			t.Run(key, func(t *testing.T) {
				got, err := tmpl.RenderCase(c.Case)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("rendering differs at byte %d\n got: %q\nwant: %q", firstDiff(got, want), got, want)
				}
			})
			n++
		}
	}
	if n != len(expected) {
		t.Errorf("checked %d renderings, expected.json has %d", n, len(expected))
	}
}

func firstDiff(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
