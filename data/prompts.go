package data

import (
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed prompts/*.tmpl prompts/*.txt
var promptFS embed.FS

// Synthesis prompt variants.
const (
	// SynthAceCoder is the published prompt (the paper's Table 7, as
	// AceCoder's create_test_case_and_prompt.py sends it), word for word.
	SynthAceCoder = "acecoder"
	// SynthProject is this project's rewording: the same asks, with the
	// tests told not to print and the reply shape given as JSON.
	SynthProject = "project"
)

// Prompts holds the parsed prompt templates. They are embedded from
// prompts/ so they can be read and edited as plain text.
type Prompts struct {
	synth  map[string][2]*template.Template // variant → {with instruction, code only}
	sample *template.Template
	// SynthSystem is the system message of the synthesis request.
	SynthSystem string
	// SamplePreamble is the start of the assistant turn when sampling,
	// which the model continues: AceCoder's text up to and including the
	// ```python that opens the fence (no newline after it, as published).
	SamplePreamble string
}

// LoadPrompts parses the embedded templates.
func LoadPrompts() (*Prompts, error) {
	p := &Prompts{synth: map[string][2]*template.Template{}}
	var err error
	parse := func(name string) *template.Template {
		if err != nil {
			return nil
		}
		var t *template.Template
		t, err = template.New(name).Option("missingkey=error").ParseFS(promptFS, "prompts/"+name)
		return t
	}
	p.synth[SynthAceCoder] = [2]*template.Template{parse("synth_acecoder.tmpl"), parse("synth_acecoder_code_only.tmpl")}
	p.synth[SynthProject] = [2]*template.Template{parse("synth.tmpl"), parse("synth_code_only.tmpl")}
	p.sample = parse("sample.tmpl")
	if err != nil {
		return nil, fmt.Errorf("data: prompts: %w", err)
	}
	sys, err := promptFS.ReadFile("prompts/synth_system.txt")
	if err != nil {
		return nil, fmt.Errorf("data: prompts: %w", err)
	}
	pre, err := promptFS.ReadFile("prompts/sample_preamble.txt")
	if err != nil {
		return nil, fmt.Errorf("data: prompts: %w", err)
	}
	p.SynthSystem, p.SamplePreamble = string(sys), string(pre)
	return p, nil
}

// SynthMessages is the synthesis conversation for a seed in a variant
// (SynthAceCoder when empty): the Table-7 prompt, or its no-instruction
// form when the seed is bare code.
func (p *Prompts) SynthMessages(variant, instruction, program string) ([]Message, error) {
	if variant == "" {
		variant = SynthAceCoder
	}
	ts, ok := p.synth[variant]
	if !ok {
		return nil, fmt.Errorf("data: unknown synthesis prompt %q (want %q or %q)", variant, SynthAceCoder, SynthProject)
	}
	t := ts[0]
	if strings.TrimSpace(instruction) == "" {
		t = ts[1]
	}
	var b strings.Builder
	err := t.Execute(&b, struct{ Instruction, Program string }{instruction, strings.TrimRight(program, "\n")})
	if err != nil {
		return nil, fmt.Errorf("data: synth prompt: %w", err)
	}
	return []Message{{Role: "system", Content: p.SynthSystem}, {Role: "user", Content: b.String()}}, nil
}

// SampleUserMessage is AceCoder's sampling prompt: the question and its
// first shown tests inside a triple-quoted block, as
// inference_generated_prompts.py writes it.
func (p *Prompts) SampleUserMessage(question string, tests []string, shown int) (Message, error) {
	shown = min(max(shown, 0), len(tests))
	var b strings.Builder
	err := p.sample.Execute(&b, struct{ Question, Tests string }{question, strings.Join(tests[:shown], "\n")})
	if err != nil {
		return Message{}, fmt.Errorf("data: sample prompt: %w", err)
	}
	return Message{Role: "user", Content: b.String()}, nil
}

// SampleMessages is the sampling conversation: the user prompt and the
// assistant turn holding the preamble, which the endpoint continues.
func (p *Prompts) SampleMessages(question string, tests []string, shown int) ([]Message, error) {
	user, err := p.SampleUserMessage(question, tests, shown)
	if err != nil {
		return nil, err
	}
	return []Message{user, {Role: "assistant", Content: p.SamplePreamble}}, nil
}
