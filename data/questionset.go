package data

import (
	"context"
	"fmt"
	"io"

	"acecoder/rewards"
)

// LoadQuestionSet reads AceCode rows (JSONL or Parquet) into the question
// set a reward server answers query-only requests from: the question is
// the first user turn of context_messages (the row's question when it has
// none), the text the AceCoder fork hashes; the tests are test_cases.
// Malformed lines are reported on log with file and line and skipped.
func LoadQuestionSet(ctx context.Context, files []string, log io.Writer) (*rewards.QuestionSet, error) {
	qs := rewards.NewQuestionSet()
	for _, f := range files {
		bad, err := ReadAceCode(ctx, f, func(r AceCodeRow) error {
			qs.Add(r.ID, userTurn(r), r.TestCases)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("data: %s: %w", f, err)
		}
		for _, b := range bad {
			fmt.Fprintf(log, "skipped %v\n", b)
		}
	}
	if qs.Len() == 0 {
		return nil, fmt.Errorf("data: %v: no usable rows", files)
	}
	return qs, nil
}

// userTurn is the first user message of r's conversation, or its question.
func userTurn(r AceCodeRow) string {
	for _, m := range r.ContextMessages {
		if m.Role == "user" {
			return m.Content
		}
	}
	return r.Question
}
