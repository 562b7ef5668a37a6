package chat

import "testing"

// FuzzParse checks that parsing and rendering arbitrary template sources
// returns errors rather than panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "{{", "{% for m in messages %}{{ m.content }}{% endfor %}", "{{ tools | tojson(indent=4) }}",
		"{% set ns = namespace(a=1) %}{{ ns.a }}", "{% macro f(x) %}{{ x }}{% endmacro %}{{ f(1) }}",
		"{{ messages[::-1] | map(attribute='role') | join(',') }}", "{% if %}{% endif %}", "{{ 'a' ~ }}",
		"{%- for k, v in d.items() -%}{{ k }}{%- endfor -%}", "{# c #}{{ x if y else z }}",
	} {
		f.Add(s)
	}
	msgs := []Message{{"role": "user", "content": "hi", "tool_calls": []any{map[string]any{"name": "f"}}}}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse(src)
		if err != nil {
			return
		}
		_, _ = tmpl.Render(msgs, Options{AddGenerationPrompt: true, Tools: []any{map[string]any{"a": 1}}})
	})
}

// FuzzDecodeJSON checks the ordered JSON decoder and the conversion to
// template values on arbitrary input.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a": 1, "b": [1.5, null, true, "x"]}`, `[`, `{"a":}`, `1e999`, `"\ud800"`, `{"messages": []}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeJSON(data)
		if err != nil {
			return
		}
		if _, err := toValue(v); err != nil {
			t.Fatalf("decoded JSON does not convert: %v", err)
		}
		_, _ = CaseFromJSON(data)
	})
}
