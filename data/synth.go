package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// SynthConfig configures the synth stage.
type SynthConfig struct {
	StageIO
	Client      *Client
	Prompts     *Prompts
	Temperature float64 // AceCoder: 0.7
	MaxTokens   int     // 0 leaves it to the server
	Source      string  // source for seeds that do not name one
	Variant     string  // SynthAceCoder (default, the published prompt) or SynthProject
}

// SeedID is a seed's id: its own, or one derived from its program text so
// that reruns agree.
func SeedID(s SeedRow) string {
	if s.ID != "" {
		return s.ID
	}
	h := sha256.Sum256([]byte(s.Program))
	return "seed-" + hex.EncodeToString(h[:8])
}

// Synth turns seed programs into questions with asserts.
func Synth(ctx context.Context, cfg SynthConfig) (*Summary, error) {
	if cfg.Client == nil || cfg.Prompts == nil {
		return nil, fmt.Errorf("data: synth: client and prompts are required")
	}
	sum := &Summary{Stage: "synth"}
	err := runIncremental(ctx, cfg.StageIO, sum, SeedID, func(ctx context.Context, id string, seed SeedRow) rowResult[QuestionRow] {
		return synthOne(ctx, cfg, id, seed)
	})
	return sum, err
}

func synthOne(ctx context.Context, cfg SynthConfig, id string, seed SeedRow) rowResult[QuestionRow] {
	program := StripPrints(seed.Program)
	msgs, err := cfg.Prompts.SynthMessages(cfg.Variant, seed.Instruction, program)
	if err != nil {
		return rowResult[QuestionRow]{fatal: err}
	}
	resp, err := cfg.Client.Chat(ctx, id, ChatRequest{Messages: msgs, Temperature: cfg.Temperature, MaxTokens: cfg.MaxTokens})
	if err != nil {
		return rowResult[QuestionRow]{fail: &Failure{Stage: "synth", Reason: "request failed: " + err.Error()}}
	}
	choice := resp.Choices[0]
	reply, err := ParseSynthReply(choice.Message.Content)
	if err != nil {
		return rowResult[QuestionRow]{fail: &Failure{Stage: "synth", Reason: "unusable reply: " + err.Error(), Detail: choice.Message.Content}}
	}
	source := seed.Source
	if source == "" {
		source = cfg.Source
	}
	counts := map[string]float64{"tests synthesized": float64(len(reply.Tests))}
	if choice.FinishReason == "length" {
		counts["replies cut at max_tokens"] = 1
	}
	return rowResult[QuestionRow]{keep: true, counts: counts, out: QuestionRow{
		ID: id, Source: source, Question: reply.Question, Tests: reply.Tests, Program: program,
		idNum: seed.idNum && seed.ID != "",
	}}
}
