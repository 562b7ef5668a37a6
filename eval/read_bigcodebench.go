package eval

import "fmt"

// bigCodeBenchTask converts a BigCodeBench row: complete_prompt (the
// function signature and docstring a base model completes),
// instruct_prompt (the task in prose, for chat models), code_prompt (the
// imports and signature), canonical_solution (the body), test (a module
// defining unittest.TestCase classes) and entry_point (task_func). The
// reference program is complete_prompt + "\n" + canonical_solution, as
// bigcodebench checks its ground truth.
func bigCodeBenchTask(id string, r rawRow) (Task, error) {
	if r.Test == "" {
		return Task{}, fmt.Errorf("BigCodeBench row without test")
	}
	prompt := r.CompletePrompt
	if prompt == "" {
		prompt = r.CodePrompt
	}
	ep := r.EntryPoint
	if ep == "" {
		ep = "task_func"
	}
	t := Task{ID: id, Format: BigCodeBench, Prompt: prompt, Instruct: r.InstructPrompt, EntryPoint: ep, TestCode: r.Test}
	if r.Canonical != "" && r.CompletePrompt != "" {
		t.Reference = r.CompletePrompt + "\n" + r.Canonical
	}
	if t.Prompt == "" {
		t.Prompt = r.InstructPrompt
	}
	return t, nil
}
