package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// evalPlusTask converts a HumanEvalPlus or MbppPlus row (evalplus's
// release files): the model sees prompt; the tests call entry_point on
// each argument list of base_input and plus_input and compare with what
// prompt + canonical_solution returns (evalplus computes the expected
// outputs the same way, get_groundtruth), floats within atol.
func evalPlusTask(id string, r rawRow) (Task, error) {
	if r.Prompt == "" || r.EntryPoint == "" {
		return Task{}, fmt.Errorf("evalplus row without prompt or entry_point")
	}
	if r.Canonical == "" {
		return Task{}, fmt.Errorf("evalplus row without canonical_solution (the expected outputs are its outputs)")
	}
	base, err := argLists("base_input", r.BaseInput)
	if err != nil {
		return Task{}, err
	}
	if len(base) == 0 {
		return Task{}, fmt.Errorf("base_input is empty")
	}
	plus, err := argLists("plus_input", r.PlusInput)
	if err != nil {
		return Task{}, err
	}
	atol := 0.0
	if len(r.Atol) > 0 && string(r.Atol) != "null" {
		if err := json.Unmarshal(r.Atol, &atol); err != nil || atol < 0 || math.IsInf(atol, 0) || math.IsNaN(atol) {
			return Task{}, fmt.Errorf("atol: want a number >= 0, got %.40s", r.Atol)
		}
	}
	return Task{ID: id, Format: EvalPlus, Prompt: r.Prompt, EntryPoint: r.EntryPoint, Reference: r.Prompt + r.Canonical,
		BaseInputs: base, PlusInputs: plus, Atol: atol}, nil
}

// argLists reads a list of argument lists: each element must be a JSON
// array (the positional arguments of one call).
func argLists(key string, raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var lists []json.RawMessage
	if err := json.Unmarshal(raw, &lists); err != nil {
		return nil, fmt.Errorf("%s: want a list of argument lists: %v", key, err)
	}
	for i, l := range lists {
		l = bytes.TrimSpace(l)
		if len(l) == 0 || l[0] != '[' {
			return nil, fmt.Errorf("%s[%d]: want a list of arguments, got %.40s", key, i, l)
		}
		lists[i] = l
	}
	return lists, nil
}
