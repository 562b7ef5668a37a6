package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"acecoder/rewards"
)

// lcbEntry is the function a functional test calls: it is appended after
// the program and calls the method of a fresh Solution (LiveCodeBench's
// LeetCode problems, APPS's with a Solution class) or else the function of
// that name (APPS's call-based problems).
const lcbEntry = "_acecoder_call"

// Job builds the sandbox job that checks a sample of the task: program is
// the graded program (evalplus's solution); when it does not define the
// entry point, a HumanEval or evalplus task runs the prompt followed by
// completion instead (evalplus's rule for samples that give a completion).
func (t Task) Job(id, completion, program string) (rewards.Job, error) {
	continued := t.EntryPoint != "" && !definesEntry(program, t.EntryPoint) && completion != ""
	switch t.Format {
	case HumanEval:
		j := rewards.Job{ID: id, Test: t.Check, EntryPoint: t.EntryPoint, Program: program}
		if continued || program == "" {
			j.Program, j.Prompt, j.Completion = "", t.Prompt, completion
		}
		return j, nil
	case EvalPlus:
		if len(t.Expected) != len(t.BaseInputs)+len(t.PlusInputs) {
			return rewards.Job{}, fmt.Errorf("eval: task %s: expected outputs not computed (Prepare)", t.ID)
		}
		j := rewards.Job{ID: id, Program: program, EntryPoint: t.EntryPoint, Calls: append(cloneRaw(t.BaseInputs), t.PlusInputs...),
			Expected: t.Expected, Atol: t.Atol}
		if continued || program == "" {
			j.Program, j.Prompt, j.Completion = "", t.Prompt, completion
		}
		return j, nil
	case StdIO:
		if t.FnName == "" {
			io := make([]rewards.IOCase, len(t.Cases))
			for i, c := range t.Cases {
				io[i] = rewards.IOCase{Input: c.Input, Output: c.Output}
			}
			return rewards.Job{ID: id, Program: program, IO: io}, nil
		}
		calls, err := t.functionalCalls()
		if err != nil {
			return rewards.Job{}, err
		}
		if len(t.Expected) != len(calls) {
			return rewards.Job{}, fmt.Errorf("eval: task %s: expected outputs not computed (Prepare)", t.ID)
		}
		return rewards.Job{ID: id, Program: program + lcbWrapper(t.FnName), EntryPoint: lcbEntry, Calls: calls, Expected: t.Expected}, nil
	case BigCodeBench:
		return rewards.Job{ID: id, Program: program, UnitTest: t.TestCode}, nil
	}
	return rewards.Job{ID: id, Program: program, Tests: t.Tests, Setup: t.Setup}, nil
}

func cloneRaw(x []json.RawMessage) []json.RawMessage { return append([]json.RawMessage(nil), x...) }

// definesEntry reports whether program defines the entry point.
func definesEntry(program, entry string) bool {
	for _, p := range []string{"def " + entry + "(", "def " + entry + " (", "class " + entry, entry + " =", entry + "="} {
		if strings.Contains(program, p) {
			return true
		}
	}
	return false
}

// lcbWrapper is the function the value cases call for a functional task.
func lcbWrapper(fn string) string {
	return fmt.Sprintf(`

def %[1]s(*args):
    cls = globals().get("Solution")
    if isinstance(cls, type) and hasattr(cls, %[2]q):
        return getattr(cls(), %[2]q)(*args)
    return globals()[%[2]q](*args)
`, lcbEntry, fn)
}

// Verdict reads a result of the task's job: whether every base test
// passed, and whether the base and plus tests all passed (evalplus counts
// a sample for HumanEval+ / MBPP+ only when both hold).
func (t Task) Verdict(r rewards.Result) (passed, plus bool) {
	if !t.HasPlus() {
		return r.AllPassed, r.AllPassed
	}
	nb := len(t.BaseInputs)
	if len(r.Tests) < nb {
		return false, false
	}
	passed = nb > 0
	for _, v := range r.Tests[:nb] {
		passed = passed && v.Status == rewards.StatusPass
	}
	return passed, passed && r.AllPassed
}

// functionalCalls are the argument lists of a LiveCodeBench functional
// task: each case's input holds one JSON value per line.
func (t Task) functionalCalls() ([]json.RawMessage, error) {
	calls := make([]json.RawMessage, len(t.Cases))
	for i, c := range t.Cases {
		var args []json.RawMessage
		for j, line := range strings.Split(strings.TrimSpace(c.Input), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if !json.Valid([]byte(line)) {
				return nil, fmt.Errorf("eval: task %s: case %d: argument line %d is not JSON: %.40s", t.ID, i, j+1, line)
			}
			args = append(args, json.RawMessage(line))
		}
		b, err := json.Marshal(args)
		if err != nil {
			return nil, err
		}
		if args == nil {
			b = []byte("[]")
		}
		calls[i] = b
	}
	return calls, nil
}

// NeedsPrepare reports whether the task's tests compare values that are
// computed in the sandbox first (Prepare).
func (t Task) NeedsPrepare() bool {
	return t.Format == EvalPlus || (t.Format == StdIO && t.FnName != "")
}

// Prepare computes the expected outputs of the tasks that compare values
// (NeedsPrepare), in the sandbox: evalplus tasks run prompt +
// canonical_solution on every base and plus input (as evalplus's
// get_groundtruth does); LiveCodeBench functional tasks decode their
// expected JSON there. A task whose reference fails a call is an error
// naming the task and the call.
func Prepare(ctx context.Context, exec Runner, tasks []Task) error {
	var jobs []rewards.Job
	var idx []int
	for i, t := range tasks {
		if !t.NeedsPrepare() {
			continue
		}
		j, err := t.referenceJob()
		if err != nil {
			return err
		}
		jobs, idx = append(jobs, j), append(idx, i)
	}
	if len(jobs) == 0 {
		return nil
	}
	res, err := exec.Run(ctx, jobs)
	if err != nil {
		return fmt.Errorf("eval: expected outputs: %w", err)
	}
	for k, i := range idx {
		t := &tasks[i]
		if len(res[k].Values) != len(jobs[k].Calls) {
			return fmt.Errorf("eval: task %s: the reference gave %d outputs for %d calls", t.ID, len(res[k].Values), len(jobs[k].Calls))
		}
		for c, v := range res[k].Values {
			if len(bytes.TrimSpace(v)) == 0 || string(bytes.TrimSpace(v)) == "null" {
				reason := ""
				if c < len(res[k].Tests) {
					reason = ": " + string(res[k].Tests[c].Status) + " " + res[k].Tests[c].Reason
				}
				return fmt.Errorf("eval: task %s: the reference fails call %d (%.60s)%s", t.ID, c, jobs[k].Calls[c], reason)
			}
		}
		t.Expected = res[k].Values
	}
	return nil
}

// referenceJob computes the expected outputs of a value-comparing task.
func (t Task) referenceJob() (rewards.Job, error) {
	if t.Format == EvalPlus {
		return rewards.Job{ID: t.ID + "#reference", Program: t.Reference, EntryPoint: t.EntryPoint,
			Calls: append(cloneRaw(t.BaseInputs), t.PlusInputs...), Outputs: true}, nil
	}
	// LiveCodeBench: the expected outputs are JSON; a trusted program
	// decodes them so that they take the sandbox's value form.
	outs := make([]string, len(t.Cases))
	for i, c := range t.Cases {
		if !json.Valid([]byte(strings.TrimSpace(c.Output))) {
			return rewards.Job{}, fmt.Errorf("eval: task %s: case %d: expected output is not JSON: %.40s", t.ID, i, c.Output)
		}
		outs[i] = strings.TrimSpace(c.Output)
	}
	data, err := json.Marshal(outs)
	if err == nil {
		data, err = json.Marshal(string(data)) // a JSON string is a Python string literal
	}
	if err != nil {
		return rewards.Job{}, err
	}
	prog := fmt.Sprintf("import json\n_OUT = json.loads(%s)\n\ndef %s(i):\n    return json.loads(_OUT[i])\n", data, lcbEntry)
	calls := make([]json.RawMessage, len(t.Cases))
	for i := range calls {
		calls[i] = json.RawMessage(fmt.Sprintf("[%d]", i))
	}
	return rewards.Job{ID: t.ID + "#reference", Program: prog, EntryPoint: lcbEntry, Calls: calls, Outputs: true}, nil
}
