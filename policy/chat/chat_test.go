package chat

import (
	"acecoder/internal/shareddata"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ardanlabs/jinja"
)

func TestPyFloatRepr(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {1, "1.0"}, {-2.5, "-2.5"}, {0.1, "0.1"}, {1e-4, "0.0001"}, {1e-5, "1e-05"},
		{1.5e-7, "1.5e-07"}, {1e15, "1000000000000000.0"}, {1e16, "1e+16"}, {2.5e20, "2.5e+20"},
		{123456789.125, "123456789.125"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
		{5e-324, "5e-324"}, {math.Copysign(0, -1), "-0.0"}, {math.NaN(), "NaN"}, {math.Inf(-1), "-Infinity"},
	}
	for _, tc := range tests {
		if got := pyFloatRepr(tc.in); got != tc.want {
			t.Errorf("pyFloatRepr(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRewriteTojson(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "filter", in: "{{ x | tojson }}", want: "{{ x | " + tojsonName + " }}"},
		{name: "no spaces with args", in: "{{x|tojson(indent=4)}}", want: "{{x|" + tojsonName + "(indent=4)}}"},
		{name: "in set", in: "{% set s = t|tojson %}", want: "{% set s = t|" + tojsonName + " %}"},
		{name: "string literal kept", in: `{{ '| tojson' }}`, want: `{{ '| tojson' }}`},
		{name: "text kept", in: "a | tojson {# | tojson #}", want: "a | tojson {# | tojson #}"},
		{name: "other identifier", in: "{{ x | tojsonx }}", want: "{{ x | tojsonx }}"},
		{name: "unterminated", in: "{{ x | tojson", want: "{{ x | " + tojsonName},
	}
	for _, tc := range tests {
		if got := rewriteTojson(tc.in); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestChatML(t *testing.T) {
	tmpl, err := ChatML()
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{
		{"role": "system", "content": "Be terse."},
		{"role": "user", "content": "hi"},
		{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{"name": "f"}}},
	}
	got, err := tmpl.Render(msgs, Options{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<|im_end|>\n<|im_start|>assistant\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseConfigNamedTemplates(t *testing.T) {
	cfg, _ := json.Marshal(map[string]any{
		"bos_token": map[string]any{"content": "<s>", "lstrip": false},
		"eos_token": "</s>",
		"chat_template": []any{
			map[string]any{"name": "default", "template": "{{ bos_token }}D{{ messages | length }}{{ eos_token }}"},
			map[string]any{"name": "tool_use", "template": "T{{ tools | length }}"},
		},
	})
	tmpl, err := ParseConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{{"role": "user", "content": "x"}}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{name: "default", opts: Options{}, want: "<s>D1</s>"},
		{name: "tools pick tool_use", opts: Options{Tools: []any{map[string]any{"a": 1}}}, want: "T1"},
		{name: "explicit name", opts: Options{Tools: []any{1}, Name: "default"}, want: "<s>D1</s>"},
	}
	for _, tc := range tests {
		got, err := tmpl.Render(msgs, tc.opts)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := tmpl.Render(msgs, Options{Name: "missing"}); err == nil {
		t.Errorf("unknown template name: want an error")
	}
}

func TestRenderErrors(t *testing.T) {
	tmpl, err := Parse("{{ raise_exception('no system role') }}")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.Render(nil, Options{}); err == nil || !strings.Contains(err.Error(), "no system role") {
		t.Errorf("raise_exception: err = %v", err)
	}
	for _, bad := range []string{"{% if x %}", "{{ x | nosuchfilter }}", "{% for %}"} {
		tmpl, err := Parse(bad)
		if err == nil {
			_, err = tmpl.Render(nil, Options{})
		}
		if err == nil {
			t.Errorf("%q: want a parse or render error", bad)
		}
	}
	if _, err := ParseConfig([]byte(`{"eos_token": "x"}`)); err == nil {
		t.Errorf("config without chat_template: want an error")
	}
}

func TestExtraVariablesAndOrder(t *testing.T) {
	tmpl, err := Parse("{{ date_string }} {{ tools | tojson }} {{ messages[0].args | tojson }}")
	if err != nil {
		t.Fatal(err)
	}
	args, err := DecodeJSON([]byte(`{"z": 1, "a": [1.5, "é"], "m": null}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render([]Message{{"role": "user", "args": args}}, Options{
		Tools: json.RawMessage(`[{"name": "f", "b": true, "a": 2}]`),
		Extra: map[string]any{"date_string": "26 Jul 2024"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `26 Jul 2024 [{"name": "f", "b": true, "a": 2}] {"z": 1, "a": [1.5, "é"], "m": null}`
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTojsonOptions(t *testing.T) {
	v, err := toValue(json.RawMessage(`{"b": [1, {"c": "ü"}], "a": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		kwargs map[string]jinja.Value
		want   string
	}{
		{name: "defaults", want: `{"b": [1, {"c": "ü"}], "a": {}}`},
		{name: "indent 2", kwargs: map[string]jinja.Value{"indent": jinja.NewInt(2)},
			want: "{\n  \"b\": [\n    1,\n    {\n      \"c\": \"ü\"\n    }\n  ],\n  \"a\": {}\n}"},
		{name: "sort and ascii", kwargs: map[string]jinja.Value{"sort_keys": jinja.NewBool(true), "ensure_ascii": jinja.NewBool(true)},
			want: `{"a": {}, "b": [1, {"c": "\u00fc"}]}`},
		{name: "separators", kwargs: map[string]jinja.Value{"separators": jinja.NewList([]jinja.Value{jinja.NewString(","), jinja.NewString(":")})},
			want: `{"b":[1,{"c":"ü"}],"a":{}}`},
	}
	for _, tc := range tests {
		got, err := tojsonFilter([]jinja.Value{v}, tc.kwargs)
		if err != nil || got.AsString() != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got.String(), err, tc.want)
		}
	}
	if _, err := tojsonFilter([]jinja.Value{v}, map[string]jinja.Value{"bogus": jinja.NewInt(1)}); err == nil {
		t.Errorf("unknown keyword: want an error")
	}
}

func TestStrftimeNow(t *testing.T) {
	tmpl, err := Parse("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d') }}")
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	got, err := tmpl.Render(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	for _, now := range []time.Time{before, after} {
		if got == now.Format("02 Jan 2006")+"|"+now.Format("2006-01-02") {
			return
		}
	}
	t.Errorf("strftime_now gave %q on %s", got, before.Format(time.DateOnly))
}

func TestLoadConfigSiblingJinja(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tokenizer_config.json")
	if err := os.WriteFile(cfg, []byte(`{"eos_token": "<|im_end|>"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(cfg); err == nil {
		t.Fatal("no template anywhere: want an error")
	}
	if err := os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte("{{ messages[0].content }}{{ eos_token }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpl, err := LoadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render([]Message{{"role": "user", "content": "x"}}, Options{})
	if err != nil || got != "x<|im_end|>" {
		t.Errorf("got %q, %v", got, err)
	}
}

// TestLlama3Fallback checks the plain Llama-3 template against the shared
// Llama-3-8B-Instruct renderings for the cases it covers (no tools).
func TestLlama3Fallback(t *testing.T) {
	dir := filepath.Join(shareddata.Dir(t), "chat_templates")
	var expected map[string]string
	readJSON(t, filepath.Join(dir, "expected.json"), &expected)
	tmpl, err := Llama3()
	if err != nil {
		t.Fatal(err)
	}
	tmpl = tmpl.WithVars(map[string]any{"bos_token": "<|begin_of_text|>"})
	for _, c := range loadCases(t, filepath.Join(dir, "chat_cases.json")) {
		got, err := tmpl.RenderCase(c.Case)
		if err != nil {
			t.Fatal(err)
		}
		if want := expected["llama3-8b-instruct/"+c.name]; got != want {
			t.Errorf("%s: got %q, want %q", c.name, got, want)
		}
	}
}
