package chat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot walks up from the test's directory to the one holding go.mod.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			tb.Fatal("go.mod not found above the test directory")
		}
		dir = filepath.Dir(dir)
	}
}

// TestPythonReference compares renderings with the ones Python Jinja2 gave
// (testdata/tokenizer/chat/render_reference.py): templates written to
// exercise tojson variants and common template idioms, and the Qwen
// template of the shared tokenizer_config.json. A reference "ERROR: msg"
// means the template must fail (with msg, for raise_exception).
func TestPythonReference(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "testdata", "tokenizer", "chat")
	var cases []json.RawMessage
	readJSON(t, filepath.Join(dir, "cases.json"), &cases)
	var expected map[string]string
	readJSON(t, filepath.Join(dir, "expected.json"), &expected)
	templates := map[string]*Template{}
	for _, name := range []string{"tojson_variants", "control_flow", "tools_in_user"} {
		tmpl, err := LoadFile(filepath.Join(dir, "templates", name+".jinja"))
		if err != nil {
			t.Fatal(err)
		}
		templates[name] = tmpl.WithVars(map[string]any{"bos_token": "<s>", "eos_token": "</s>"})
	}
	cfgPath := filepath.Join(repoRoot(t), "..", "shared", "data", "tokenizers", "qwen2", "tokenizer_config.json")
	if _, err := os.Stat(cfgPath); err == nil {
		tmpl, err := LoadConfig(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		templates["qwen_config"] = tmpl
	} else {
		t.Logf("shared data absent: skipping the qwen_config renderings")
	}
	for name, tmpl := range templates {
		for _, raw := range cases {
			c, err := CaseFromJSON(raw)
			if err != nil {
				t.Fatal(err)
			}
			key := name + "/" + c.Options.Extra["name"].(string)
			want, ok := expected[key]
			if !ok {
				t.Fatalf("expected.json lacks %s", key)
			}
			t.Run(key, func(t *testing.T) {
				got, err := tmpl.RenderCase(c)
				if msg, isErr := strings.CutPrefix(want, "ERROR: "); isErr {
					if err == nil {
						t.Fatalf("rendered %q; Python failed with %q", got, msg)
					}
					if strings.HasPrefix(msg, "Unknown role") && !strings.Contains(err.Error(), msg) {
						t.Errorf("error %q lacks %q", err, msg)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("differs at byte %d\n got: %q\nwant: %q", firstDiff(got, want), got, want)
				}
			})
		}
	}
}

func readJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}
