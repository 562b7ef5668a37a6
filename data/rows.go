package data

import (
	"errors"
	"fmt"
	"strings"
)

// SeedRow is one seed program. Instruction is optional: bare code gets the
// no-instruction prompt variant.
type SeedRow struct {
	ID          string `json:"id,omitempty"` // a JSON string or number (idNum), written back as it came
	Source      string `json:"source,omitempty"`
	Instruction string `json:"instruction,omitempty"`
	Program     string `json:"program"`
	idNum       bool
}

// Validate reports a seed that cannot be used.
func (s SeedRow) Validate() error {
	if strings.TrimSpace(s.Program) == "" {
		return errors.New("empty program")
	}
	return nil
}

// QuestionRow is the output of synth: a refined question with its asserts.
// Program carries the seed program (prints stripped) so that filter can use
// it as the oracle with --oracle=program.
type QuestionRow struct {
	ID       string   `json:"id"`
	Source   string   `json:"source,omitempty"`
	Question string   `json:"question"`
	Tests    []string `json:"tests"`
	Program  string   `json:"program,omitempty"`
	idNum    bool
}

// Validate reports a row that cannot be used.
func (q QuestionRow) Validate() error {
	var errs []error
	if q.ID == "" {
		errs = append(errs, errors.New("missing id"))
	}
	if strings.TrimSpace(q.Question) == "" {
		errs = append(errs, errors.New("empty question"))
	}
	if len(q.Tests) == 0 {
		errs = append(errs, errors.New("no tests"))
	}
	return errors.Join(errs...)
}

// FilteredRow is the output of filter: the tests the oracle passed.
type FilteredRow struct {
	ID                string   `json:"id"`
	Source            string   `json:"source,omitempty"`
	Question          string   `json:"question"`
	Tests             []string `json:"tests"`
	OriginalTestCount int      `json:"original_test_count"`
	Oracle            string   `json:"oracle,omitempty"`
	idNum             bool
}

// Validate reports a row that cannot be used.
func (f FilteredRow) Validate() error {
	return QuestionRow{ID: f.ID, Question: f.Question, Tests: f.Tests}.Validate()
}

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Inference is one sampled program with its execution result, as in
// AceCode-87K. TestResults holds 1 for a passed test and 0 otherwise.
type Inference struct {
	ModelName    string  `json:"model_name"`
	CompletionID int     `json:"completion_id"`
	Completion   string  `json:"completion"`
	PassRate     float64 `json:"pass_rate"`
	TestResults  []int   `json:"test_results"`
}

// AceCodeRow is the AceCode-87K row shape, the output of sample and hard.
// OriginalTestCount is this project's addition (omitted when zero).
type AceCodeRow struct {
	ID                string      `json:"id"`
	Source            string      `json:"source"`
	Question          string      `json:"question"`
	TestCases         []string    `json:"test_cases"`
	Inferences        []Inference `json:"inferences"`
	ContextMessages   []Message   `json:"context_messages"`
	OriginalTestCount int         `json:"original_test_count,omitempty"`
	idNum             bool
}

// Validate reports a row that cannot be used.
func (a AceCodeRow) Validate() error {
	if a.ID == "" {
		return errors.New("missing id")
	}
	for i, inf := range a.Inferences {
		if inf.PassRate < 0 || inf.PassRate > 1 {
			return fmt.Errorf("inference %d: pass_rate %v outside [0,1]", i, inf.PassRate)
		}
	}
	return nil
}

// PairRow is this project's preference pair.
type PairRow struct {
	ID                 string  `json:"id"`
	Source             string  `json:"source,omitempty"`
	ModelName          string  `json:"model_name"`
	Question           string  `json:"question"`
	Chosen             string  `json:"chosen"`
	Rejected           string  `json:"rejected"`
	ChosenPassRate     float64 `json:"chosen_pass_rate"`
	RejectedPassRate   float64 `json:"rejected_pass_rate"`
	ChosenCompletion   int     `json:"chosen_completion_id"`
	RejectedCompletion int     `json:"rejected_completion_id"`
	idNum              bool
}

// FactoryPair is the AceCodePair-300K / LLaMA-Factory pairwise shape.
type FactoryPair struct {
	Instruction string `json:"instruction" parquet:"instruction"`
	Input       string `json:"input" parquet:"input"`
	Chosen      string `json:"chosen" parquet:"chosen"`
	Rejected    string `json:"rejected" parquet:"rejected"`
	ID          int64  `json:"id" parquet:"id"`
}

// Validate reports a pair that cannot be used.
func (p FactoryPair) Validate() error {
	if p.Chosen == "" || p.Rejected == "" {
		return errors.New("empty chosen or rejected")
	}
	return nil
}
