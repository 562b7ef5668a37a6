package data

import (
	"fmt"
	"strings"

	"acecoder/extract"
)

// pairPreamble starts chosen and rejected in AceCodePair-300K: the sampling
// preamble with the fence line ended.
const pairPreamble = "Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:\n```python\n"

// AceCodePairInstruction is the instruction of an AceCodePair-300K row: the
// question and its first test (trimmed) between triple quotes inside the
// sampling prompt's block, as convert_dataset_for_llama_factory.py writes
// it (note the blank line before the closing fence).
func AceCodePairInstruction(question string, tests []string) string {
	first := ""
	if len(tests) > 0 {
		first = strings.TrimSpace(tests[0])
	}
	return "Please provide a self-contained Python script that solves the following problem in a markdown code block:\n```\n" +
		"\"\"\"\n" + question + "\n" + first + "\n\"\"\"\n" + "\n```\n"
}

// AceCodePairResponse is chosen or rejected of an AceCodePair-300K row:
// the preamble, the program (trimmed) and a closing fence.
func AceCodePairResponse(program string) string {
	return pairPreamble + strings.TrimSpace(program) + "\n```"
}

// acecoderPair is the FactoryAceCoder row of pair p of row r. The
// programs are extracted from the stored completions by the project's one
// rule (extract.Program); a completion without code stays whole.
func acecoderPair(r AceCodeRow, p PairRow, id int64) FactoryPair {
	entry := extract.EntryFromTests(r.TestCases)
	prog := func(c string) string { return extract.Program(fenceLineEnded(c), entry) }
	return FactoryPair{Instruction: AceCodePairInstruction(r.Question, r.TestCases),
		Chosen: AceCodePairResponse(prog(p.Chosen)), Rejected: AceCodePairResponse(prog(p.Rejected)), ID: id}
}

// fenceLineEnded puts a line break after a leading sampling preamble whose
// ```python the model continued on the same line, so that the fence is
// read as a fence.
func fenceLineEnded(completion string) string {
	pre := strings.TrimSuffix(pairPreamble, "\n")
	if rest, ok := strings.CutPrefix(completion, pre); ok && !strings.HasPrefix(rest, "\n") {
		return pre + "\n" + rest
	}
	return completion
}

func factoryFunc(format string) (func(AceCodeRow, PairRow, int64) FactoryPair, error) {
	switch format {
	case "", FactoryAceCoder:
		return acecoderPair, nil
	case FactoryCompletions:
		return completionsPair, nil
	}
	return nil, fmt.Errorf("data: pairs: unknown factory format %q (want %q or %q)", format, FactoryAceCoder, FactoryCompletions)
}

// isASCII is Python's str.isascii: every character below 0x80.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
