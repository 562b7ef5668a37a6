package data

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"acecoder/extract"
)

// Pass-rate denominators (see the package doc).
const (
	DenominatorFiltered = "filtered" // tests run (this project's default)
	DenominatorOriginal = "original" // tests synthesized before filtering (AceCoder)
)

// SampleConfig configures the sample stage. Defaults follow AceCoder.
type SampleConfig struct {
	StageIO
	Client      *Client
	Prompts     *Prompts
	Executor    Executor
	N           int     // programs per question (16)
	Temperature float64 // 0.7
	TopP        float64 // 1.0
	ShownTests  int     // tests shown in the prompt (2)
	MaxTokens   int
	ModelName   string // stored in inferences; default the client's model
	Denominator string // DenominatorFiltered or DenominatorOriginal
	// NewTurn sends the preamble as a closed assistant turn (for endpoints
	// without continue_final_message); by default the endpoint continues it,
	// as AceCoder's vLLM inference does.
	NewTurn bool
}

// Sample draws N programs per question, runs them against the tests and
// writes AceCode-87K rows.
func Sample(ctx context.Context, cfg SampleConfig) (*Summary, error) {
	if cfg.Client == nil || cfg.Prompts == nil || cfg.Executor == nil {
		return nil, errors.New("data: sample: client, prompts and executor are required")
	}
	if cfg.N <= 0 {
		return nil, fmt.Errorf("data: sample: N must be positive, got %d", cfg.N)
	}
	switch cfg.Denominator {
	case "":
		cfg.Denominator = DenominatorFiltered
	case DenominatorFiltered, DenominatorOriginal:
	default:
		return nil, fmt.Errorf("data: sample: unknown denominator %q", cfg.Denominator)
	}
	if cfg.ModelName == "" {
		cfg.ModelName = cfg.Client.Model()
	}
	sum := &Summary{Stage: "sample"}
	idOf := func(f FilteredRow) string { return f.ID }
	err := runIncremental(ctx, cfg.StageIO, sum, idOf, func(ctx context.Context, id string, f FilteredRow) rowResult[AceCodeRow] {
		return sampleOne(ctx, cfg, f)
	})
	return sum, err
}

func sampleOne(ctx context.Context, cfg SampleConfig, f FilteredRow) rowResult[AceCodeRow] {
	msgs, err := cfg.Prompts.SampleMessages(f.Question, f.Tests, cfg.ShownTests)
	if err != nil {
		return rowResult[AceCodeRow]{fatal: err}
	}
	texts, fail := drawCompletions(ctx, cfg, f.ID, msgs)
	if fail != nil {
		return rowResult[AceCodeRow]{fail: fail}
	}
	jobs := make([]ExecJob, len(texts))
	completions := make([]string, len(texts))
	for i, t := range texts {
		var code string
		completions[i], code = completionCode(cfg.Prompts.SamplePreamble, t, extract.EntryFromTests(f.Tests))
		jobs[i] = ExecJob{ID: fmt.Sprintf("%s/%d", f.ID, i), Program: code, Tests: f.Tests}
	}
	res, err := cfg.Executor.Execute(ctx, jobs)
	if err == nil {
		err = checkResults(jobs, res)
	}
	if err != nil {
		if isCancel(ctx, err) {
			return rowResult[AceCodeRow]{fail: &Failure{Stage: "sample", Reason: "cancelled"}}
		}
		return rowResult[AceCodeRow]{fatal: fmt.Errorf("data: sample %s: %w", f.ID, err)}
	}
	// context_messages holds the question alone, as AceCode-87K has it:
	// the RL prompt is this conversation through the policy's template.
	row := AceCodeRow{ID: f.ID, Source: f.Source, Question: f.Question, TestCases: f.Tests,
		ContextMessages: []Message{{Role: "user", Content: f.Question}}, OriginalTestCount: f.OriginalTestCount, idNum: f.idNum}
	for i, r := range res {
		row.Inferences = append(row.Inferences, Inference{
			ModelName: cfg.ModelName, CompletionID: i, Completion: completions[i],
			PassRate: samplePassRate(r.PerTest, f.OriginalTestCount, cfg.Denominator), TestResults: boolsToInts(r.PerTest),
		})
	}
	return rowResult[AceCodeRow]{keep: true, out: row, counts: map[string]float64{"programs": float64(len(res))}}
}

// drawCompletions asks for N completions, repeating the request while the
// server returns fewer choices than asked (at most N requests).
func drawCompletions(ctx context.Context, cfg SampleConfig, id string, msgs []Message) ([]string, *Failure) {
	var texts []string
	for req := 0; req < cfg.N && len(texts) < cfg.N; req++ {
		creq := ChatRequest{Messages: msgs, Temperature: cfg.Temperature, TopP: cfg.TopP, N: cfg.N - len(texts), MaxTokens: cfg.MaxTokens}
		if !cfg.NewTurn {
			creq = creq.continueLast()
		}
		resp, err := cfg.Client.Chat(ctx, id, creq)
		if err != nil {
			return nil, &Failure{Stage: "sample", Reason: "request failed: " + err.Error()}
		}
		for _, c := range resp.Choices {
			if len(texts) < cfg.N {
				texts = append(texts, c.Message.Content)
			}
		}
	}
	if len(texts) < cfg.N {
		return nil, &Failure{Stage: "sample", Reason: fmt.Sprintf("got %d of %d completions", len(texts), cfg.N)}
	}
	return texts, nil
}

// completionCode returns the stored completion and its program (extract.Program,
// preferring a block that defines entry). The request prefilled the
// assistant turn with preamble (which opens a ```python fence); a reply that
// opens its own fence is taken as a whole answer instead. The completion
// is preamble + reply as the model wrote it; the program is read with the
// fence line ended, in case the reply starts on the fence's line.
func completionCode(preamble, reply, entry string) (completion, code string) {
	if strings.HasPrefix(strings.TrimSpace(reply), "```") {
		return reply, extract.Program(reply, entry)
	}
	completion = preamble + reply
	if strings.HasSuffix(preamble, "```python") && !strings.HasPrefix(reply, "\n") {
		return completion, extract.Program(preamble+"\n"+reply, entry)
	}
	return completion, extract.Program(completion, entry)
}

// samplePassRate is passed/len(perTest), or passed/original under
// DenominatorOriginal when the original count is known and not smaller.
func samplePassRate(perTest []bool, original int, denominator string) float64 {
	r := passRate(perTest)
	if denominator == DenominatorOriginal && original > len(perTest) {
		return r * float64(len(perTest)) / float64(original)
	}
	return r
}

func boolsToInts(b []bool) []int {
	out := make([]int, len(b))
	for i, v := range b {
		if v {
			out[i] = 1
		}
	}
	return out
}
