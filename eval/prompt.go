package eval

import (
	"fmt"
	"strings"

	"acecoder/extract"
	"acecoder/policy/chat"
)

// PromptStyle says how a task becomes the model's prompt and how the
// model's text becomes the program that is graded.
type PromptStyle string

// Prompt styles.
const (
	// StyleEvalPlus is evalplus's instruction prompt for chat models, which
	// the AceCoder paper evaluates with: the user asks for a self-contained
	// script around the task prompt in a fence, and the assistant's turn
	// is opened with EvalPlusResponse, which the model continues inside an
	// open ```python fence.
	StyleEvalPlus PromptStyle = "evalplus"
	// StyleCompletion is evalplus's prompt for base models: the task
	// prompt as it is (stripped, one newline after it); the program is the
	// prompt followed by the completion, cut at evalplus's stop strings.
	StyleCompletion PromptStyle = "completion"
	// StyleProject is this project's own chat prompt (PromptMessages).
	StyleProject PromptStyle = "project"
)

// PromptStyles lists the styles, for config validation and help text.
var PromptStyles = []string{string(StyleEvalPlus), string(StyleCompletion), string(StyleProject)}

// evalplus's codegen prefixes (evalplus/codegen.py run_codegen) and its
// rendering (evalplus/provider/utility.py make_raw_chat_prompt): the user
// turn is "{instruction}\n```\n{prompt.strip()}\n```\n" and the assistant
// turn "{response}\n```python\n" + a splitter; the chat template renders
// both turns and the prompt ends where the splitter begins.
const (
	EvalPlusInstruction = "Please provide a self-contained Python script that solves the following problem in a markdown code block:"
	EvalPlusResponse    = "Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:"
	evalPlusSplitter    = "-[[]]-this-is-really-our-highest-priority-[[]]-"
)

// evalplus's stop strings for base models (evalplus/provider/utility.py):
// EOS for every dataset, and per dataset the ones that end a function.
var (
	completionEOS       = []string{"<|endoftext|>", "<|endofmask|>", "</s>", "\nif __name__", "\ndef main(", "\nprint("}
	completionHumanEval = []string{"\ndef ", "\nclass ", "\nimport ", "\nfrom ", "\nassert "}
	completionMBPP      = []string{"\n\"\"\"", "\nassert"}
)

// TaskPrompt is the benchmark prompt as evalplus writes it: HumanEval's
// code prompt; MBPP+'s docstring holding the problem text and its first
// test (`"""\n{text}\n{test}\n"""\n`); an evalplus row's own prompt;
// BigCodeBench's complete_prompt; the problem statement otherwise
// (followed by the starter code, when there is one).
func TaskPrompt(t Task) string {
	switch t.Format {
	case MBPP:
		if len(t.Tests) == 0 {
			return "\"\"\"\n" + t.Prompt + "\n\"\"\"\n"
		}
		return "\"\"\"\n" + t.Prompt + "\n" + t.Tests[0] + "\n\"\"\"\n"
	case StdIO:
		if t.Starter != "" {
			return t.Prompt + "\n\n" + t.Starter
		}
		return t.Prompt
	}
	return t.Prompt
}

// chatTaskPrompt is the task text of a chat prompt: BigCodeBench's
// instruct_prompt when the row has one (its instruct split), else
// TaskPrompt.
func chatTaskPrompt(t Task) (text string, fenced bool) {
	if t.Format == BigCodeBench && t.Instruct != "" {
		return t.Instruct, false
	}
	return TaskPrompt(t), true
}

// EvalPlusMessages is the conversation evalplus renders for a chat model:
// the instruction around the task prompt, and the assistant's turn
// holding the response prefix, an open ```python fence and the splitter
// (the prompt is cut where it begins). BigCodeBench's instruct split
// writes its instruction unfenced, as bigcodebench's own rendering does.
func EvalPlusMessages(t Task) []chat.Message {
	text, fenced := chatTaskPrompt(t)
	user := EvalPlusInstruction + "\n```\n" + strings.TrimSpace(text) + "\n```\n"
	if !fenced {
		user = EvalPlusInstruction + "\n" + strings.TrimSpace(text) + "\n"
	}
	return []chat.Message{
		{"role": "user", "content": user},
		{"role": "assistant", "content": EvalPlusResponse + "\n```python\n" + evalPlusSplitter + "\n```\n"},
	}
}

// RenderPrompt is the text the model continues for task t. StyleEvalPlus
// and StyleProject need a chat template; StyleCompletion uses none (it is
// evalplus's prompt for models without one).
func RenderPrompt(tmpl *chat.Template, style PromptStyle, t Task) (string, error) {
	switch style {
	case StyleCompletion:
		return completionPrompt(t), nil
	case StyleEvalPlus:
		if tmpl == nil {
			return "", fmt.Errorf("eval: prompt_style evalplus needs a chat template")
		}
		text, err := tmpl.Render(EvalPlusMessages(t), chat.Options{})
		if err != nil {
			return "", fmt.Errorf("eval: chat template: %w", err)
		}
		before, _, ok := strings.Cut(text, evalPlusSplitter)
		if !ok {
			return "", fmt.Errorf("eval: the chat template does not write the assistant's turn")
		}
		return before, nil
	case StyleProject, "":
		if tmpl == nil {
			return "", fmt.Errorf("eval: prompt_style project needs a chat template")
		}
		text, err := tmpl.Render(PromptMessages(t), chat.Options{AddGenerationPrompt: true})
		if err != nil {
			return "", fmt.Errorf("eval: chat template: %w", err)
		}
		return text, nil
	}
	return "", fmt.Errorf("eval: unknown prompt style %q (want %s)", style, strings.Join(PromptStyles, ", "))
}

// completionPrompt is evalplus's direct-completion prompt: the task prompt
// stripped, with one newline after it.
func completionPrompt(t Task) string {
	if t.Format == BigCodeBench {
		return t.Prompt // bigcodebench feeds complete_prompt as it is
	}
	return strings.TrimSpace(TaskPrompt(t)) + "\n"
}

// StopStrings are the strings that end a completion of the style, as
// evalplus's providers stop: its EOS list for both of its styles (for
// chat models too, so a reply ends before a `print(` or `if __name__`
// block), and for base models the dataset's strings that end a function.
// The project style stops at the turn's end token only.
func StopStrings(style PromptStyle, t Task) []string {
	switch style {
	case StyleEvalPlus:
		return append([]string(nil), completionEOS...)
	case StyleCompletion:
		stops := append([]string(nil), completionEOS...)
		if t.Format == MBPP {
			return append(stops, completionMBPP...)
		}
		return append(stops, completionHumanEval...)
	}
	return nil
}

// cutAtStops cuts text at the first of its task's stop strings (the
// sampler stops after the token that completes one; the string and what
// the token held after it are not part of the answer).
func cutAtStops(style PromptStyle, t Task, text string) string {
	for _, s := range StopStrings(style, t) {
		if i := strings.Index(text, s); i >= 0 {
			text = text[:i]
		}
	}
	return text
}

// Solution is the program graded for a completion of task t in the
// style: the prompt followed by the completion cut at the first stop
// string (completion); the program package extract finds in the reply cut
// at the first stop string, which evalplus's rendering leaves inside an
// open ```python fence (evalplus); the program extract finds (project).
func Solution(style PromptStyle, t Task, completion string) string {
	switch style {
	case StyleCompletion:
		return completionPrompt(t) + cutAtStops(style, t, completion)
	case StyleEvalPlus:
		return extract.Program("```python\n"+cutAtStops(style, t, completion), t.EntryPoint)
	}
	return extract.Program(completion, t.EntryPoint)
}
