package data

import (
	"context"
	"errors"
	"fmt"

	"acecoder/extract"
)

// Oracle kinds for the filter stage.
const (
	OracleProgram  = "program"  // the row's own program field (the seed)
	OracleEndpoint = "endpoint" // one program from a chat endpoint (AceCoder: Qwen2.5-Coder-32B-Instruct)
)

// FilterConfig configures the filter stage.
type FilterConfig struct {
	StageIO
	Oracle            string   // OracleProgram or OracleEndpoint
	Client            *Client  // for OracleEndpoint
	Prompts           *Prompts // for OracleEndpoint
	OracleTemperature float64  // for OracleEndpoint; 0 is greedy
	MaxTokens         int
	Executor          Executor
	MinTests          int  // questions with fewer kept tests are dropped (AceCoder: 5; at least 1)
	NewTurn           bool // for OracleEndpoint: see SampleConfig.NewTurn
}

// Filter keeps the tests an oracle program passes and drops questions left
// with fewer than MinTests. Summary.Counts holds the before/after numbers of
// Table 1 ("questions before", "tests before", "questions after", "tests after").
func Filter(ctx context.Context, cfg FilterConfig) (*Summary, error) {
	if cfg.Executor == nil {
		return nil, errors.New("data: filter: executor is required")
	}
	switch cfg.Oracle {
	case OracleProgram:
	case OracleEndpoint:
		if cfg.Client == nil || cfg.Prompts == nil {
			return nil, errors.New("data: filter: oracle endpoint needs a client and prompts")
		}
	default:
		return nil, fmt.Errorf("data: filter: unknown oracle %q (want %q or %q)", cfg.Oracle, OracleProgram, OracleEndpoint)
	}
	cfg.MinTests = max(cfg.MinTests, 1) // a question without tests is of no use
	sum := &Summary{Stage: "filter"}
	idOf := func(q QuestionRow) string { return q.ID }
	err := runIncremental(ctx, cfg.StageIO, sum, idOf, func(ctx context.Context, id string, q QuestionRow) rowResult[FilteredRow] {
		return filterOne(ctx, cfg, q)
	})
	return sum, err
}

func filterOne(ctx context.Context, cfg FilterConfig, q QuestionRow) rowResult[FilteredRow] {
	program, fail := oracleProgram(ctx, cfg, q)
	if fail != nil {
		return rowResult[FilteredRow]{fail: fail}
	}
	res, err := cfg.Executor.Execute(ctx, []ExecJob{{ID: q.ID, Program: program, Tests: q.Tests}})
	if err == nil {
		err = checkResults([]ExecJob{{ID: q.ID, Tests: q.Tests}}, res)
	}
	if err != nil {
		if isCancel(ctx, err) {
			return rowResult[FilteredRow]{fail: &Failure{Stage: "filter", Reason: "cancelled"}}
		}
		return rowResult[FilteredRow]{fatal: fmt.Errorf("data: filter %s: %w", q.ID, err)}
	}
	kept := keptTests(q.Tests, res[0].PerTest)
	counts := map[string]float64{"questions before": 1, "tests before": float64(len(q.Tests))}
	if len(kept) < cfg.MinTests {
		counts["dropped: too few tests"] = 1
		return rowResult[FilteredRow]{counts: counts}
	}
	counts["questions after"], counts["tests after"] = 1, float64(len(kept))
	return rowResult[FilteredRow]{keep: true, counts: counts, out: FilteredRow{
		ID: q.ID, Source: q.Source, Question: q.Question, Tests: kept,
		OriginalTestCount: len(q.Tests), Oracle: program, idNum: q.idNum,
	}}
}

// keptTests returns the tests whose verdict is true, in order.
func keptTests(tests []string, pass []bool) []string {
	var kept []string
	for i, t := range tests {
		if i < len(pass) && pass[i] {
			kept = append(kept, t)
		}
	}
	return kept
}

func oracleProgram(ctx context.Context, cfg FilterConfig, q QuestionRow) (string, *Failure) {
	if cfg.Oracle == OracleProgram {
		if q.Program == "" {
			return "", &Failure{Stage: "filter", Reason: "row has no program for the oracle"}
		}
		return q.Program, nil
	}
	msgs, err := cfg.Prompts.SampleMessages(q.Question, q.Tests, 2)
	if err != nil {
		return "", &Failure{Stage: "filter", Reason: err.Error()}
	}
	req := ChatRequest{Messages: msgs, Temperature: cfg.OracleTemperature, TopP: 1, MaxTokens: cfg.MaxTokens}
	if !cfg.NewTurn {
		req = req.continueLast()
	}
	resp, err := cfg.Client.Chat(ctx, q.ID, req)
	if err != nil {
		return "", &Failure{Stage: "filter", Reason: "oracle request failed: " + err.Error()}
	}
	_, code := completionCode(cfg.Prompts.SamplePreamble, resp.Choices[0].Message.Content, extract.EntryFromTests(q.Tests))
	return code, nil
}
