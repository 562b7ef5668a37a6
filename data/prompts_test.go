package data

import (
	"strings"
	"testing"
)

func TestSynthPrompts(t *testing.T) {
	p, err := LoadPrompts()
	if err != nil {
		t.Fatal(err)
	}
	const program = "def add(a, b):\n    return a + b\n"
	tests := []struct {
		name, variant, instruction string
		want, not                  []string
	}{
		{"published with instruction", SynthAceCoder, "Add two numbers.", []string{
			"You are the latest and best bot aimed at transforming some code snippet into a leetcode style question. You will be provided with a prompt for writing code, along with a reference program that answers the question.",
			"    d. Feel free to use part of the original question if necessary. Moreover, please do not ask for runtime and space complexity analysis or any test cases in your response. \n",
			"The parameters and expected output of each test case should all be constants, **without accessing any external resources**.",
			"Here is the original question:\nAdd two numbers.\n\nHere is the reference program that answers the question:\n```python\ndef add(a, b):\n    return a + b\n```\n",
			"Now give your modified question and generated test cases in the following json format: \n{\"question\": ..., \"tests\":[\"assert ...\", \"assert ...\"]}.\n",
		}, []string{"must not print"}},
		{"published bare code", SynthAceCoder, "  ", []string{
			"You will be provided with a reference program. Please complete the following for me:",
			"Here is the reference program:\n```python\ndef add(a, b):\n    return a + b\n```\n",
		}, []string{"original question:"}},
		{"default is published", "", "Add two numbers.", []string{"You are the latest and best bot"}, nil},
		{"project with instruction", SynthProject, "Add two numbers.", []string{"[Instruction]\nAdd two numbers.", "[Program]\n```python\ndef add(a, b):\n    return a + b\n```", `{"question":`, "must not print"}, nil},
		{"project bare code", SynthProject, "  ", []string{"without any description", "[Program]"}, []string{"[Instruction]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := p.SynthMessages(tc.variant, tc.instruction, program)
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
	if _, err := p.SynthMessages("other", "x", program); err == nil {
		t.Error("an unknown variant gave no error")
	}
}

// TestSamplePrompt pins AceCoder's sampling prompt: the question and the
// first two tests between triple quotes, and a preamble that ends at the
// fence the model continues.
func TestSamplePrompt(t *testing.T) {
	p, err := LoadPrompts()
	if err != nil {
		t.Fatal(err)
	}
	const head = "Please provide a self-contained Python script that solves the following problem in a markdown code block:\n```\n"
	tests := []struct {
		name  string
		tests []string
		shown int
		want  string
	}{
		{"two of three", []string{"assert a", "assert b", "assert c"}, 2, head + "\"\"\"\nWrite add.\nassert a\nassert b\n\"\"\"\n```\n"},
		{"fewer than shown", []string{"assert a"}, 2, head + "\"\"\"\nWrite add.\nassert a\n\"\"\"\n```\n"},
		{"none shown", []string{"assert a"}, 0, head + "\"\"\"\nWrite add.\n\n\"\"\"\n```\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := p.SampleMessages("Write add.", tc.tests, tc.shown)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 2 || msgs[0].Role != "user" || msgs[0].Content != tc.want {
				t.Errorf("user turn:\n%q\nwant\n%q", msgs[0].Content, tc.want)
			}
			const pre = "Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:\n```python"
			if msgs[1] != (Message{Role: "assistant", Content: pre}) {
				t.Errorf("assistant turn %+v", msgs[1])
			}
		})
	}
}
