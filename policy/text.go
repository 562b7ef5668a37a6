package policy

import (
	"fmt"
	"strings"

	"acecoder/policy/chat"
	"acecoder/policy/tokenizer"
)

// AceCoder's sampling prompt: the question as the user turn of this
// template, and the assistant turn prefilled with AceCoderPreamble, which
// opens a ```python fence the model continues.
const (
	AceCoderUser     = "Please provide a self-contained Python script that solves the following problem in a markdown code block:\n```\n%s\n```\n"
	AceCoderPreamble = "Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:\n```python\n"
)

// Text is the text layer over a model: a tokenizer and a chat template,
// prompts in and decoded completions out. The sampler (package rollout)
// sees only ids.
type Text struct {
	Tok      *tokenizer.Tokenizer
	Template *chat.Template
}

// Encode tokenizes text without adding special tokens (a rendered chat
// template already holds them, as transformers' apply_chat_template
// assumes).
func (t Text) Encode(s string) []int32 { return toInt32(t.Tok.Encode(s, false)) }

// Decode returns the text of ids, special tokens dropped.
func (t Text) Decode(ids []int32) string {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return t.Tok.Decode(out, true)
}

// ChatPrompt renders messages with the generation prompt and appends
// prefill (the start of the assistant's reply, e.g. AceCoderPreamble),
// returning the prompt ids.
func (t Text) ChatPrompt(messages []chat.Message, prefill string) ([]int32, error) {
	if t.Template == nil {
		return nil, fmt.Errorf("policy: no chat template")
	}
	s, err := t.Template.Render(messages, chat.Options{AddGenerationPrompt: true})
	if err != nil {
		return nil, fmt.Errorf("policy: chat template: %w", err)
	}
	return t.Encode(s + prefill), nil
}

// RenderContinued renders messages so that the text ends right after the
// last message's content, which the model then continues in the same turn:
// transformers' apply_chat_template(continue_final_message=True,
// add_generation_prompt=False), which vLLM and AceCoder's inference use.
// As there, the cut falls after the last occurrence of the content, or of
// the content trimmed for templates that trim it (Llama 3).
func RenderContinued(tmpl *chat.Template, messages []chat.Message) (string, error) {
	if tmpl == nil {
		return "", fmt.Errorf("policy: no chat template")
	}
	if len(messages) == 0 {
		return "", fmt.Errorf("policy: no message to continue")
	}
	text, err := tmpl.Render(messages, chat.Options{})
	if err != nil {
		return "", fmt.Errorf("policy: chat template: %w", err)
	}
	last, _ := messages[len(messages)-1]["content"].(string)
	for _, c := range []string{last, strings.TrimSpace(last)} {
		if i := strings.LastIndex(text, c); c != "" && i >= 0 {
			return text[:i+len(c)], nil
		}
	}
	return "", fmt.Errorf("policy: continue the last message: the chat template does not write its content %q", last)
}

// ContinuePrompt returns the ids of messages rendered by RenderContinued.
func (t Text) ContinuePrompt(messages []chat.Message) ([]int32, error) {
	s, err := RenderContinued(t.Template, messages)
	if err != nil {
		return nil, err
	}
	return t.Encode(s), nil
}

// AceCoderPrompt is the prompt of AceCoder's sampling template for a
// question: the user turn, and the assistant turn holding
// AceCoderPreamble continued (ContinuePrompt).
func (t Text) AceCoderPrompt(question string) ([]int32, error) {
	msg := chat.Message{"role": "user", "content": fmt.Sprintf(AceCoderUser, strings.TrimRight(question, "\n"))}
	return t.ContinuePrompt([]chat.Message{msg, {"role": "assistant", "content": AceCoderPreamble}})
}

// StopIDs are the ids that end a turn: the tokenizer's EOS and whichever
// of <|im_end|>, <|endoftext|>, <|eot_id|> and <|end_of_text|> it has.
func (t Text) StopIDs() []int32 {
	var ids []int32
	if id, ok := t.Tok.EOS(); ok {
		ids = append(ids, int32(id))
	}
	for _, s := range []string{"<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>"} {
		if id, ok := t.Tok.ID(s); ok && t.Tok.IsSpecial(id) {
			ids = append(ids, int32(id))
		}
	}
	return ids
}

// StopAt returns a stop check for the sampler (rollout.StopFunc) that ends
// a completion once its text contains one of stops. It decodes only the completion's tail (each token is at
// least one byte, so a stop string that the last token completes lies in
// the last len(stop) tokens; a few more cover split UTF-8 sequences).
func (t Text) StopAt(stops []string) func(prompt int, completion []int32) bool {
	longest := 0
	for _, s := range stops {
		longest = max(longest, len(s))
	}
	if longest == 0 {
		return nil
	}
	return func(_ int, c []int32) bool {
		tail := t.Decode(c[max(0, len(c)-longest-4):])
		for _, s := range stops {
			if s != "" && strings.Contains(tail, s) {
				return true
			}
		}
		return false
	}
}

// CutAtStop returns text up to the first occurrence of any stop string
// (OpenAI's rule: the stop string is not returned) and whether one was
// found.
func CutAtStop(text string, stops []string) (string, bool) {
	cut := -1
	for _, s := range stops {
		if i := strings.Index(text, s); s != "" && i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut < 0 {
		return text, false
	}
	return text[:cut], true
}

func toInt32(ids []int) []int32 {
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	return out
}
