// Package chat renders Hugging Face chat templates: the Jinja
// chat_template of tokenizer_config.json (string or list-of-named-templates
// form) or a .jinja file, evaluated as transformers' apply_chat_template
// does — trim_blocks and lstrip_blocks, raise_exception, strftime_now,
// tojson = json.dumps(ensure_ascii=False, …), special tokens (bos_token,
// eos_token, …) and extra keyword arguments as template variables — plus a
// plain ChatML fallback template for tiny models.
//
// The Jinja engine is github.com/ardanlabs/jinja; its tojson filter is
// replaced by a Python-compatible one (see rewrite.go). Differences from
// Python Jinja2 that remain in the engine (none occurs in the Qwen2.5,
// Qwen3 or Llama-3 templates): None prints as "" instead of "None",
// integral floats print without ".0", the % string-formatting operator,
// map/select with a filter name, tuple printing, \u escapes in string
// literals and exponent float literals are not supported, and a few
// inputs make the engine panic (recovered here and returned as errors).
//
// Render returns text; tokenize it with add-special off (Encode(text,
// false)), as apply_chat_template(tokenize=True) does: the template itself
// writes bos_token where the model wants one.
package chat

import (
	"fmt"
	"os"
	"strings"

	"github.com/ardanlabs/jinja"
)

// Message is one conversation turn as transformers passes it to a
// template: "role", "content" and whatever else the template reads
// ("tool_calls", "reasoning_content", "name", …). Values may be any JSON-like
// Go data; use *OrderedMap or json.RawMessage where key order matters.
type Message map[string]any

// Options are apply_chat_template's arguments.
type Options struct {
	// AddGenerationPrompt appends the assistant header after the messages.
	AddGenerationPrompt bool
	// Tools is the list of tool schemas (nil: no tools, passed as None).
	Tools any
	// Extra variables, passed to the template as transformers passes extra
	// keyword arguments (e.g. "date_string", "enable_thinking").
	Extra map[string]any
	// Name selects a named template of the list form; empty picks
	// "tool_use" when Tools is set and present, else "default".
	Name string
}

// Template is a compiled chat template (one or several named ones) with the
// variables every rendering receives (bos_token, eos_token, …).
type Template struct {
	named map[string]*jinja.Template
	vars  map[string]any
}

// Parse compiles a template source. Malformed sources give an error; a
// panic inside the engine is recovered and reported as one.
func Parse(src string) (*Template, error) {
	c, err := compile(src)
	if err != nil {
		return nil, err
	}
	return &Template{named: map[string]*jinja.Template{"default": c}, vars: map[string]any{}}, nil
}

func compile(src string) (t *jinja.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("chat: parse template: engine panic: %v", r)
		}
	}()
	t, err = jinja.Compile(rewriteTojson(trimTrailingNewline(src)))
	if err != nil {
		return nil, fmt.Errorf("chat: parse template: %w", err)
	}
	return t, nil
}

// trimTrailingNewline drops one final newline, as Jinja2 does unless
// keep_trailing_newline is set (transformers does not set it).
func trimTrailingNewline(src string) string {
	if s, ok := strings.CutSuffix(src, "\n"); ok {
		return strings.TrimSuffix(s, "\r")
	}
	return src
}

// LoadFile reads a .jinja template file. Special tokens are not known from
// a bare template: set them with WithVars.
func LoadFile(path string) (*Template, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	return Parse(string(src))
}

// WithVars returns a copy of t whose renderings also receive vars (e.g.
// {"bos_token": "<|begin_of_text|>"}); later keys override earlier ones.
func (t *Template) WithVars(vars map[string]any) *Template {
	out := &Template{named: t.named, vars: make(map[string]any, len(t.vars)+len(vars))}
	for k, v := range t.vars {
		out.vars[k] = v
	}
	for k, v := range vars {
		out.vars[k] = v
	}
	return out
}

// Names lists the named templates ("default" for a single template).
func (t *Template) Names() []string {
	names := make([]string, 0, len(t.named))
	for n := range t.named {
		names = append(names, n)
	}
	return names
}

// Render applies the template to messages.
func (t *Template) Render(messages []Message, opts Options) (string, error) {
	return t.render(messages, opts)
}

// render takes messages as []Message or []any (of *OrderedMap).
func (t *Template) render(messages any, opts Options) (out string, err error) {
	tmpl, err := t.pick(opts)
	if err != nil {
		return "", err
	}
	data := map[string]jinja.Value{}
	set := func(k string, v any) error {
		jv, err := toValue(v)
		if err != nil {
			return fmt.Errorf("chat: variable %q: %w", k, err)
		}
		data[k] = jv
		return nil
	}
	for k, v := range t.vars {
		if err := set(k, v); err != nil {
			return "", err
		}
	}
	for k, v := range opts.Extra {
		if err := set(k, v); err != nil {
			return "", err
		}
	}
	if err := set("messages", messages); err != nil {
		return "", err
	}
	if err := set("tools", opts.Tools); err != nil {
		return "", err
	}
	if _, ok := data["documents"]; !ok {
		data["documents"] = jinja.None()
	}
	data["add_generation_prompt"] = jinja.NewBool(opts.AddGenerationPrompt)
	data[tojsonName] = jinja.NewCallable("tojson", tojsonFilter)
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("chat: render: engine panic: %v", r)
		}
	}()
	out, err = tmpl.RenderValues(data)
	if err != nil {
		return "", fmt.Errorf("chat: render: %w", err)
	}
	return out, nil
}

// pick chooses the named template as transformers does.
func (t *Template) pick(opts Options) (*jinja.Template, error) {
	name := opts.Name
	if name == "" {
		name = "default"
		if _, ok := t.named["tool_use"]; ok && opts.Tools != nil {
			name = "tool_use"
		}
	}
	tmpl, ok := t.named[name]
	if !ok {
		return nil, fmt.Errorf("chat: no template named %q (have %v)", name, t.Names())
	}
	return tmpl, nil
}
