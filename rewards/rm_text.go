package rewards

import "strings"

// AcePreamble is the fixed start of AceCoder's assistant turn (its sampling
// prompt prefills it, and it opens the code fence).
const AcePreamble = "Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:\n```python\n"

// WithPreamble prefixes a program with AcePreamble unless it already
// starts with it.
func WithPreamble(program string) string {
	if strings.HasPrefix(program, AcePreamble) {
		return program
	}
	return AcePreamble + program
}

// AcePrompt joins AceCodePair's instruction and input as LLaMA-Factory's
// alpaca format does: "instruction\ninput" when input is non-empty.
func AcePrompt(instruction, input string) string {
	if input == "" {
		return instruction
	}
	return instruction + "\n" + input
}
