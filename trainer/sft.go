package trainer

// Supervised fine-tuning: next-token cross-entropy on the response tokens
// of chat-formatted (question → program) examples, the mean over every
// response token of the batch (as TRL's SFTTrainer with completion-only
// loss). Used to give the tiny demo policy a non-trivial starting pass rate
// before reinforcement learning.

import (
	"context"
	"fmt"
	"time"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"acecoder/data"
	"acecoder/policy/chat"
	"acecoder/trainer/optim"

	"acecoder/policy"
)

// SFTExample is one tokenized example.
type SFTExample struct {
	Prompt, Response []int32
}

// sftRow is what an SFT data line may hold.
type sftRow struct {
	Question    string `json:"question"`
	Instruction string `json:"instruction"`
	Prompt      string `json:"prompt"`
	Program     string `json:"program"`
	Response    string `json:"response"`
	Completion  string `json:"completion"`
}

// ReadSFTExamples reads (question, program) rows and tokenizes them with
// the chat template; the response ends with the first stop token. Examples
// longer than maxLen are skipped and counted.
func ReadSFTExamples(ctx context.Context, tm *policy.TextModel, files []string, maxLen int) ([]SFTExample, int, error) {
	var out []SFTExample
	skipped := 0
	stop := tm.StopIDs()
	for _, f := range files {
		bad, err := data.ReadJSONL(ctx, f, func(line int, r sftRow) error {
			q := firstNonEmpty(r.Question, r.Instruction, r.Prompt)
			resp := firstNonEmpty(r.Program, r.Response, r.Completion)
			if q == "" || resp == "" {
				return fmt.Errorf("no question/instruction/prompt or no program/response/completion")
			}
			prompt, err := tm.ChatPrompt([]chat.Message{{"role": "user", "content": q}}, "")
			if err != nil {
				return err
			}
			ex := SFTExample{Prompt: prompt, Response: tm.Encode(resp)}
			if len(stop) > 0 {
				ex.Response = append(ex.Response, stop[0])
			}
			if len(ex.Prompt)+len(ex.Response) > maxLen {
				skipped++
				return nil
			}
			out = append(out, ex)
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("trainer: %s: %w", f, err)
		}
		if len(bad) > 0 {
			return nil, 0, fmt.Errorf("trainer: %d bad rows, first: %v", len(bad), bad[0])
		}
	}
	if len(out) == 0 {
		return nil, skipped, fmt.Errorf("trainer: no SFT examples in %v", files)
	}
	return out, skipped, nil
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// SFTCursor is the resumable position of an SFT run.
type SFTCursor struct {
	Step     int `json:"step"`
	Epoch    int `json:"epoch"`
	Position int `json:"position"`
}

// SFTTrainer fine-tunes a policy on examples.
type SFTTrainer struct {
	Model         *policy.TextModel
	Opt           *optim.Optimizer
	Examples      []SFTExample
	BatchSize, MB int
	Seed          int64
	Schedule      optim.Schedule
	Cursor        SFTCursor
	accum         *model.Exec
}

// NewSFTTrainer wires the model, optimiser and examples.
func NewSFTTrainer(tm *policy.TextModel, cfg optim.AdamW, ex []SFTExample, batch, micro int, seed int64, sched optim.Schedule) (*SFTTrainer, error) {
	if micro <= 0 || batch%micro != 0 || len(ex) < batch {
		return nil, fmt.Errorf("trainer: %d examples, batch %d, micro-batch %d: need a whole number of micro-batches and at least one batch", len(ex), batch, micro)
	}
	if err := sched.Validate(); err != nil {
		return nil, err
	}
	m := tm.Model
	opt, err := optim.New(m.Backend, m.Store, PolicyTrainVars(m), cfg)
	if err != nil {
		return nil, err
	}
	t := &SFTTrainer{Model: tm, Opt: opt, Examples: ex, BatchSize: batch, MB: micro, Seed: seed, Schedule: sched}
	t.accum, err = model.NewExec(m.Backend, m.Store, t.accumGraph)
	if err != nil {
		return nil, fmt.Errorf("trainer: %w", err)
	}
	return t, nil
}

// accumGraph: ids, pos, mask [B,S]; resp [B,S] float32 (1 on response
// tokens); scale → summed response NLL and response-token count;
// gradients of (NLL sum · scale) accumulated.
func (t *SFTTrainer) accumGraph(_ *model.Scope, ids, pos, mask, resp, scale *Node) (*Node, *Node) {
	policy.VariablesAsParameters(t.Model.Model.Store, ids.Graph())
	policy.ForGradients(ids.Graph())
	lp := t.Model.Model.Decoder.NextTokenLogProbs(ids, pos, mask)
	nll := Neg(ReduceAllSum(Mul(lp, resp)))
	t.Opt.Accumulate(nll, scale)
	return nll, ReduceAllSum(resp)
}

// StepsPerEpoch is the number of full batches per epoch.
func (t *SFTTrainer) StepsPerEpoch() int { return len(t.Examples) / t.BatchSize }

// Step runs one optimiser step: the gradient of the mean NLL over every
// response token of the batch.
func (t *SFTTrainer) Step(ctx context.Context) (m map[string]float64, err error) {
	defer policy.RecoverGraph(&err, "trainer: sft step")
	start := time.Now()
	if t.Cursor.Position+t.BatchSize > len(t.Examples) {
		t.Cursor.Epoch++
		t.Cursor.Position = 0
	}
	order := EpochOrder(len(t.Examples), t.Seed, t.Cursor.Epoch)
	idx := order[t.Cursor.Position : t.Cursor.Position+t.BatchSize]
	respTokens := 0
	for _, i := range idx {
		respTokens += len(t.Examples[i].Response)
	}
	scale := tensors.FromScalar(1 / float32(respTokens))
	pad := t.Model.PadID()
	nll, tokens := 0.0, 0
	for k := 0; k < len(idx); k += t.MB {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		seqs, resp := make([][]int32, t.MB), make([][]float64, t.MB)
		s := 0
		for j, i := range idx[k : k+t.MB] {
			ex := t.Examples[i]
			seqs[j] = append(append([]int32{}, ex.Prompt...), ex.Response...)
			resp[j] = ones(len(ex.Response))
			s = max(s, len(seqs[j]))
			tokens += len(seqs[j])
		}
		s = seqBucket(s)
		b := leftPadTo(seqs, pad, s)
		out, err := t.accum.Exec(b.IDs, b.Positions, b.Mask, alignedRows(resp, s), scale)
		if err != nil {
			return nil, fmt.Errorf("trainer: sft step %d: %w", t.Cursor.Step+1, err)
		}
		nll += float64(tensors.ToScalar[float32](out[0]))
	}
	lr := t.Schedule.At(t.Cursor.Step)
	norm, err := t.Opt.Apply(lr, t.Cursor.Step+1)
	if err != nil {
		return nil, err
	}
	t.Cursor.Step++
	t.Cursor.Position += t.BatchSize
	return map[string]float64{
		"loss/sft": nll / float64(respTokens), "optim/lr": lr, "optim/grad_norm": norm,
		"data/epoch": float64(t.Cursor.Epoch), "perf/tokens_per_s": float64(tokens) / time.Since(start).Seconds(),
	}, nil
}

// sftState is what an SFT checkpoint records beyond the files.
type sftState struct {
	Seed     int64 `json:"seed"`
	Examples int   `json:"examples"`
}
