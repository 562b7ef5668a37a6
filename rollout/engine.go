package rollout

import (
	"context"
	"errors"
	"fmt"
	"sync"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"acecoder/policy"
)

// Finish reasons of a sample.
const (
	FinishStop   = "stop"   // a stop id or stop string ended it
	FinishLength = "length" // MaxNewTokens or the context limit ended it
)

// Request asks for N samples continuing one prompt.
type Request struct {
	PromptIDs []int32
	N         int
	// Seeds, when set, are the per-sample seeds (len N); otherwise sample j
	// uses SampleSeed(Options.Seed, Options.Step, request index, j).
	Seeds []uint64
	// Forced tokens open every completion of this request without being
	// sampled (GeneratedMask 0); their log-probs are still reported.
	Forced []int32
}

// StopFunc reports whether a completion should end after its last token
// (the text layer checks stop strings with it). prompt is the request
// index.
type StopFunc func(prompt int, completion []int32) bool

// Options control one generation.
type Options struct {
	Sampling
	// MaxNewTokens bounds each completion (forced tokens included).
	MaxNewTokens int
	// StopIDs end a completion when sampled (EOS, <|im_end|>); the stop
	// token is kept in the completion.
	StopIDs []int32
	// Stop is an optional per-token check (stop strings).
	Stop StopFunc
	// BatchSize is the number of rows decoded together (default 16).
	BatchSize int
	// Seed and Step are the run seed and training step the per-sample seeds
	// derive from.
	Seed, Step uint64
	// MaxLen caps prompt + completion tokens; 0 means the model's
	// max_position_embeddings (no cap when that is unset).
	MaxLen int
	// Detokenize, when set, fills Sample.Text.
	Detokenize func(ids []int32) string
}

// Sample is one finished completion.
type Sample struct {
	PromptIndex, SampleIndex int
	Seed                     uint64
	PromptIDs, CompletionIDs []int32
	// LogProbs[i] is log q(CompletionIDs[i]) under the sampling
	// distribution used (temperature, top-k, top-p, renormalised; 0 for
	// greedy); RawLogProbs[i] is the model's log-prob at temperature 1
	// over the full vocabulary (what an OpenAI-style API reports).
	LogProbs, RawLogProbs []float32
	// PolicyLogProbs[i] is the log-prob under the tempered policy at the
	// sampling temperature over the full vocabulary (see
	// Pick.PolicyLogProb): log π_old of the sample for an RL loss, equal to
	// a full forward's policy.Decoder.TemperedLogProbs up to float32
	// rounding (TestPolicyLogProbsEqualFullForward).
	PolicyLogProbs []float64
	// GeneratedMask[i] is true for sampled tokens, false for forced ones.
	GeneratedMask []bool
	FinishReason  string
	Text          string
}

// Engine samples from a policy model with a continuously refilled batch
// over a host-held KV cache. One generation runs at a time; concurrent
// calls wait for each other.
type Engine struct {
	model           *policy.Model
	mu              sync.Mutex
	prefill, decode *model.Exec
	// stack tells whether the graphs read stacked [in,out] copies of the
	// matrices (faster products for few rows, one more copy of the
	// matrices in memory) or the model's variables; see StackLimit. A
	// model with LoRA adapters always decodes from its variables.
	stack   bool
	stacked []*tensors.Tensor // policy.Model.StackWeights, refreshed per generation
	lora    *policy.LoRA      // the adapters the executors were built with
}

// StackLimit is the size of a model's matrices in float32 (bytes) up to
// which the engine keeps stacked, transposed copies of them for its
// graphs (policy.Stacked). Larger models decode from their variables and
// hold no second copy of their weights.
const StackLimit = 512 << 20

// New builds the engine's executors (compiled lazily per shape).
func New(m *policy.Model) (*Engine, error) {
	if m == nil || m.Backend == nil {
		return nil, errors.New("rollout: model without a backend")
	}
	e := &Engine{model: m, stack: MatrixBytes(m.Config) <= StackLimit}
	return e, e.build()
}

// build (re)creates the executors for the model's current adapters.
func (e *Engine) build() error {
	m := e.model
	d := m.Decoder
	n := m.Config.NumHiddenLayers
	pre, err := model.NewExec(m.Backend, m.Store, func(_ *model.Scope, in []*Node) []*Node {
		policy.VariablesAsParameters(m.Store, in[0].Graph())
		logits, kv := prefill(d, in[0], in[1], stackedInputs(in[2:]))
		return []*Node{logits, kv}
	})
	if err != nil {
		return fmt.Errorf("rollout: prefill executor: %w", err)
	}
	dec, err := model.NewExec(m.Backend, m.Store, func(_ *model.Scope, in []*Node) []*Node {
		policy.VariablesAsParameters(m.Store, in[0].Graph())
		logits, kv := decode(d, in[0], in[1], in[2], in[3:3+2*n], stackedInputs(in[3+2*n:]))
		return []*Node{logits, kv}
	})
	if err != nil {
		return fmt.Errorf("rollout: decode executor: %w", err)
	}
	pre.SetMaxCache(64)
	dec.SetMaxCache(256)
	e.prefill, e.decode, e.lora = pre, dec, d.LoRA
	return nil
}

// stackedInputs reads the graph's stacked weights, nil when it has none.
func stackedInputs(in []*Node) *policy.Stacked {
	if len(in) == 0 {
		return nil
	}
	return policy.StackedFromInputs(in)
}

// MatrixBytes is the size of a config's matrices in float32: what the
// engine's stacked copy holds.
func MatrixBytes(c *policy.Config) int64 {
	var n int64
	for _, p := range c.Params() {
		if p.Kind == policy.KindMatrix {
			k := int64(4)
			for _, d := range p.Shape {
				k *= int64(d)
			}
			n += k
		}
	}
	return n
}

// Model is the engine's policy.
func (e *Engine) Model() *policy.Model { return e.model }

// Generate returns all samples, ordered by (prompt, sample).
func (e *Engine) Generate(ctx context.Context, reqs []Request, opts Options) ([]Sample, error) {
	out := make(chan Sample)
	var samples []Sample
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := range out {
			samples = append(samples, s)
		}
	}()
	err := e.Stream(ctx, reqs, opts, out)
	close(out)
	<-done
	if err != nil {
		return nil, err
	}
	sortSamples(samples)
	return samples, nil
}

// Stream generates and sends each sample on out as soon as it finishes,
// while the other rows keep decoding; it returns when all are sent (it does
// not close out). Samples arrive in completion order.
func (e *Engine) Stream(ctx context.Context, reqs []Request, opts Options, out chan<- Sample) error {
	if err := e.check(reqs, &opts); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.syncWeights(); err != nil {
		return err
	}
	s := newScheduler(e, reqs, opts, out)
	defer s.close()
	return s.run(ctx)
}

// check validates requests and fills option defaults.
func (e *Engine) check(reqs []Request, opts *Options) error {
	var errs []error
	if opts.BatchSize == 0 {
		opts.BatchSize = 16
	}
	if opts.MaxLen == 0 {
		opts.MaxLen = e.model.Config.MaxPositionEmbeddings
	}
	if opts.BatchSize < 0 || opts.MaxNewTokens <= 0 || opts.Temperature < 0 || opts.TopK < 0 {
		errs = append(errs, fmt.Errorf("rollout: options: batch %d, max new tokens %d, temperature %g, top-k %d: want positive batch and max new tokens, non-negative temperature and top-k",
			opts.BatchSize, opts.MaxNewTokens, opts.Temperature, opts.TopK))
	}
	v := e.model.Config.VocabSize
	if opts.ValidVocab < 0 || opts.ValidVocab > v {
		errs = append(errs, fmt.Errorf("rollout: options: valid vocabulary %d outside [0, %d]", opts.ValidVocab, v))
	}
	for i, r := range reqs {
		if len(r.PromptIDs) == 0 {
			errs = append(errs, fmt.Errorf("rollout: request %d: empty prompt", i))
		}
		if r.N <= 0 || (r.Seeds != nil && len(r.Seeds) != r.N) {
			errs = append(errs, fmt.Errorf("rollout: request %d: n %d with %d seeds", i, r.N, len(r.Seeds)))
		}
		if opts.MaxLen > 0 && len(r.PromptIDs) >= opts.MaxLen {
			errs = append(errs, fmt.Errorf("rollout: request %d: prompt of %d tokens leaves no room under the limit %d", i, len(r.PromptIDs), opts.MaxLen))
		}
		for j, id := range append(append([]int32(nil), r.PromptIDs...), r.Forced...) {
			if id < 0 || int(id) >= v {
				errs = append(errs, fmt.Errorf("rollout: request %d: token %d = %d outside the vocabulary [0, %d)", i, j, id, v))
				break
			}
		}
	}
	return errors.Join(errs...)
}

// exec runs an executor and copies its two float32 outputs to the host,
// releasing the device buffers.
func exec(e *model.Exec, args ...any) (a, b []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rollout: %v", r)
		}
	}()
	out, err := e.Exec(args...)
	if err != nil {
		return nil, nil, fmt.Errorf("rollout: %w", err)
	}
	defer func() {
		for _, t := range out {
			_ = t.FinalizeAll()
		}
	}()
	if a, err = tensors.CopyFlatData[float32](out[0]); err == nil {
		b, err = tensors.CopyFlatData[float32](out[1])
	}
	return a, b, err
}

// syncWeights copies the model's current matrices into the stacked inputs
// of the prefill and decode graphs (one pass over the weights). It runs at
// the start of every generation, so samples always come from the weights
// the store holds then, e.g. after a trainer's update; norms, biases and
// the embedding are read from the store by every call.
func (e *Engine) syncWeights() error {
	if e.model.Decoder.LoRA != e.lora { // adapters added, loaded or merged since
		if err := e.build(); err != nil {
			return err
		}
	}
	if !e.stack || e.model.Decoder.LoRA != nil { // adapters are applied in the graph
		e.stacked = nil
		return nil
	}
	st, err := e.model.StackWeights(e.stacked)
	if err != nil {
		return fmt.Errorf("rollout: %w", err)
	}
	e.stacked = st
	return nil
}
