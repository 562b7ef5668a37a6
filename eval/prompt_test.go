package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"acecoder/internal/shareddata"
	"acecoder/policy/chat"
)

// sharedTask reads one task of a shared benchmark file by id.
func sharedTask(t *testing.T, file, id string) Task {
	t.Helper()
	tasks, _, err := ReadBench(shareddata.Path(t, "benchmarks", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		if task.ID == id {
			return task
		}
	}
	t.Fatalf("%s: no task %s", file, id)
	return Task{}
}

// The prompts of HumanEval/0 and Mbpp/2 in each style, rendered with
// Qwen2.5-Instruct's template, against strings written out by hand from
// evalplus's rules (codegen.py's prefixes, make_raw_chat_prompt, MBPP+'s
// docstring prompt).
func TestPromptsOfHumanEval0AndMbpp2(t *testing.T) {
	tmpl, err := chat.LoadFile(shareddata.Path(t, "chat_templates", "qwen2.5-instruct.jinja"))
	if err != nil {
		t.Fatal(err)
	}
	he := sharedTask(t, "humaneval/HumanEval.jsonl.gz", "HumanEval/0")
	mbpp := sharedTask(t, "mbpp/mbpp.jsonl", "Mbpp/2")

	const heCode = `from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    """ Check if in given list of numbers, are any two numbers closer to each other than
    given threshold.
    >>> has_close_elements([1.0, 2.0, 3.0], 0.5)
    False
    >>> has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)
    True
    """
`
	const mbppDoc = `"""
Write a function to find the similar elements from the given two tuple lists.
assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)
"""
`
	const system = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
	const assistant = "<|im_start|>assistant\nBelow is a Python script with a self-contained function that solves the problem and passes corresponding tests:\n```python\n"
	const user = "<|im_start|>user\nPlease provide a self-contained Python script that solves the following problem in a markdown code block:\n```\n"
	tests := []struct {
		name  string
		style PromptStyle
		task  Task
		want  string
	}{
		{"HumanEval/0 evalplus", StyleEvalPlus, he, system + user + heCode + "```\n<|im_end|>\n" + assistant},
		{"Mbpp/2 evalplus", StyleEvalPlus, mbpp, system + user + mbppDoc + "```\n<|im_end|>\n" + assistant},
		{"HumanEval/0 completion", StyleCompletion, he, heCode},
		{"Mbpp/2 completion", StyleCompletion, mbpp, mbppDoc},
		{"HumanEval/0 project", StyleProject, he, system + "<|im_start|>user\nComplete the following Python function:\n```python\n" +
			heCode + "```<|im_end|>\n<|im_start|>assistant\n"},
		{"Mbpp/2 project", StyleProject, mbpp, system + "<|im_start|>user\nWrite a function to find the similar elements from the given two tuple lists.\n" +
			"Your code should pass this test:\nassert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)<|im_end|>\n<|im_start|>assistant\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RenderPrompt(tmpl, tc.style, tc.task)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("prompt (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := RenderPrompt(nil, StyleEvalPlus, he); err == nil {
		t.Error("evalplus style without a chat template: want an error")
	}
	if _, err := RenderPrompt(tmpl, "chat", he); err == nil {
		t.Error("unknown style: want an error")
	}
}

// The program graded for a completion: the continued fence (evalplus),
// the prompt plus the completion cut at evalplus's stop strings
// (completion), the extracted program (project).
func TestSolutionOfEachStyle(t *testing.T) {
	he := Task{ID: "HumanEval/9", Format: HumanEval, Prompt: "def f(x):\n    \"\"\"doc\"\"\"\n", EntryPoint: "f"}
	mbpp := Task{ID: "Mbpp/9", Format: MBPP, Prompt: "Add one.", Tests: []string{"assert f(1) == 2"}, EntryPoint: "f"}
	tests := []struct {
		name  string
		style PromptStyle
		task  Task
		text  string
		want  string
	}{
		{"evalplus continues the fence", StyleEvalPlus, he, "def f(x):\n    return x\n```\nThis returns x.", "def f(x):\n    return x"},
		{"evalplus stops at a print", StyleEvalPlus, he, "def f(x):\n    return x\n\nprint(f(1))\n```\n", "def f(x):\n    return x"},
		{"completion cuts at a new def", StyleCompletion, he, "    return x\n\ndef g():\n    pass\n", "def f(x):\n    \"\"\"doc\"\"\"\n    return x\n"},
		{"completion cuts at EOS text", StyleCompletion, he, "    return x<|endoftext|>junk", "def f(x):\n    \"\"\"doc\"\"\"\n    return x"},
		{"completion of MBPP cuts at the docstring's end", StyleCompletion, mbpp, "def f(x):\n    return x + 1\n\"\"\"\nmore", "\"\"\"\nAdd one.\nassert f(1) == 2\n\"\"\"\ndef f(x):\n    return x + 1"},
		{"project extracts the block", StyleProject, he, "Sure:\n```python\ndef f(x):\n    return x\n```\n", "def f(x):\n    return x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Solution(tc.style, tc.task, tc.text)); diff != "" {
				t.Errorf("solution (-want +got):\n%s", diff)
			}
		})
	}
	if StopStrings(StyleProject, he) != nil || len(StopStrings(StyleEvalPlus, he)) != 6 {
		t.Error("the project style stops at the turn's end only; evalplus's at its EOS strings")
	}
}
