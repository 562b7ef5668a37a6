package data

import (
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed prompts/*.tmpl prompts/*.txt
var promptFS embed.FS

// Prompts holds the parsed prompt templates. They are embedded from
// prompts/ so they can be read and edited as plain text.
type Prompts struct {
	synth, synthCodeOnly, sample *template.Template
	// SynthSystem is the system message of the synthesis request.
	SynthSystem string
	// SamplePreamble is the prefilled start of the assistant turn when
	// sampling; it opens a ```python fence.
	SamplePreamble string
}

// LoadPrompts parses the embedded templates.
func LoadPrompts() (*Prompts, error) {
	p := &Prompts{}
	var err error
	parse := func(name string) *template.Template {
		if err != nil {
			return nil
		}
		var t *template.Template
		t, err = template.New(name).Option("missingkey=error").ParseFS(promptFS, "prompts/"+name)
		return t
	}
	p.synth = parse("synth.tmpl")
	p.synthCodeOnly = parse("synth_code_only.tmpl")
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

// SynthMessages is the synthesis conversation for a seed: the Table-7
// prompt, or its no-instruction variant when the seed is bare code.
func (p *Prompts) SynthMessages(instruction, program string) ([]Message, error) {
	t := p.synth
	if strings.TrimSpace(instruction) == "" {
		t = p.synthCodeOnly
	}
	var b strings.Builder
	err := t.Execute(&b, struct{ Instruction, Program string }{instruction, strings.TrimRight(program, "\n")})
	if err != nil {
		return nil, fmt.Errorf("data: synth prompt: %w", err)
	}
	return []Message{{Role: "system", Content: p.SynthSystem}, {Role: "user", Content: b.String()}}, nil
}

// SampleUserMessage is the sampling prompt showing the first shown tests.
func (p *Prompts) SampleUserMessage(question string, tests []string, shown int) (Message, error) {
	if shown > len(tests) {
		shown = len(tests)
	}
	var b strings.Builder
	err := p.sample.Execute(&b, struct {
		Question string
		Tests    []string
	}{question, tests[:max(shown, 0)]})
	if err != nil {
		return Message{}, fmt.Errorf("data: sample prompt: %w", err)
	}
	return Message{Role: "user", Content: b.String()}, nil
}
