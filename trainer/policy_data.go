package trainer

import (
	"context"
	"fmt"
	"io"

	"acecoder/data"
	"acecoder/policy"
	"acecoder/policy/chat"
)

// Prompt is one RL prompt: the conversation the policy answers and the
// tests its program is rewarded by.
type Prompt struct {
	ID       string
	Question string
	Messages []chat.Message
	Tests    []string
	IDs      []int32 // rendered and tokenized
}

// ReadPrompts reads AceCode-87K-style rows (JSONL or Parquet): the
// conversation is context_messages when present, else the question as the
// user turn. Rows without tests are skipped (they cannot be rewarded by
// rule); bad rows are reported on log with file and line.
func ReadPrompts(ctx context.Context, files []string, log io.Writer) ([]Prompt, error) {
	var out []Prompt
	for _, f := range files {
		bad, err := data.ReadAceCode(ctx, f, func(r data.AceCodeRow) error {
			p := Prompt{ID: r.ID, Question: r.Question, Tests: r.TestCases}
			for _, m := range r.ContextMessages {
				p.Messages = append(p.Messages, chat.Message{"role": m.Role, "content": m.Content})
			}
			if len(p.Messages) == 0 {
				p.Messages = []chat.Message{{"role": "user", "content": r.Question}}
			}
			out = append(out, p)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("trainer: %s: %w", f, err)
		}
		for _, b := range bad {
			fmt.Fprintf(log, "train-policy: skipped %v\n", b)
		}
	}
	if len(out) == 0 {
		return nil, errNoPrompts
	}
	return out, nil
}

// TokenizePrompts renders and tokenizes every prompt and drops those longer
// than maxLen tokens, reporting how many were dropped.
func TokenizePrompts(tm *policy.TextModel, prompts []Prompt, maxLen int) ([]Prompt, int, error) {
	kept := prompts[:0:0]
	dropped := 0
	for _, p := range prompts {
		ids, err := tm.ChatPrompt(p.Messages, "")
		if err != nil {
			return nil, 0, fmt.Errorf("trainer: prompt %s: %w", p.ID, err)
		}
		p.IDs = ids
		if len(p.IDs) > maxLen {
			dropped++
			continue
		}
		kept = append(kept, p)
	}
	if len(kept) == 0 {
		return nil, dropped, errNoPrompts
	}
	return kept, dropped, nil
}
