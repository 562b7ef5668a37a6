package data

import (
	"strings"
	"testing"
)

func TestPrompts(t *testing.T) {
	p, err := LoadPrompts()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		instruction string
		want, not   []string
	}{
		{"with instruction", "Add two numbers.", []string{"[Instruction]\nAdd two numbers.", "[Program]\n```python\ndef add(a, b):\n    return a + b\n```", `{"question":`}, nil},
		{"bare code", "  ", []string{"without any description", "[Program]"}, []string{"[Instruction]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := p.SynthMessages(tc.instruction, "def add(a, b):\n    return a + b\n")
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 2 || msgs[0].Role != "system" || msgs[0].Content != "You are an AI assistant that helps people with python coding tasks." {
				t.Fatalf("messages %+v", msgs)
			}
			for _, w := range tc.want {
				if !strings.Contains(msgs[1].Content, w) {
					t.Errorf("prompt lacks %q:\n%s", w, msgs[1].Content)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(msgs[1].Content, n) {
					t.Errorf("prompt has %q:\n%s", n, msgs[1].Content)
				}
			}
		})
	}
	m, err := p.SampleUserMessage("Write add.", []string{"assert a", "assert b", "assert c"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := "Please provide a self-contained Python script that solves the following problem in a markdown code block:\n```\nWrite add.\n```\nYour solution should pass tests like these:\nassert a\nassert b\n"
	if m.Role != "user" || m.Content != want {
		t.Errorf("sample prompt:\n%q\nwant\n%q", m.Content, want)
	}
	if !strings.HasSuffix(p.SamplePreamble, "```python\n") {
		t.Errorf("preamble %q does not open a python fence", p.SamplePreamble)
	}
}
