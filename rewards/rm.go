package rewards

// The reward model: a policy backbone plus a scalar value head read at the
// last non-pad token, as AceCode-RM (a Qwen2.5-Coder backbone with TRL's
// ValueHead: dropout, then Linear(hidden, 1) with bias) and OpenRLHF's
// reward models are built. The head runs in float32.

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"acecoder/policy"
	"acecoder/policy/chat"
	"acecoder/policy/tokenizer"
)

// Hugging Face names the value head is saved under (TRL's
// AutoModelForCausalLMWithValueHead and AceCode-RM use these).
const (
	HeadWeightName = "v_head.summary.weight" // [1, hidden]
	HeadBiasName   = "v_head.summary.bias"   // [1]
)

// Store scopes of the reward model's weights.
const (
	BackboneScope = "/backbone"
	HeadScope     = "/value_head"
)

// RewardModel scores (prompt, program) texts: the decoder's final-norm
// hidden state at each sequence's last real token, times the head's weight,
// plus its bias. Weights live in Backbone.Store: the decoder under
// BackboneScope, the head under HeadScope ("weight" [1,D], "bias" [1]).
type RewardModel struct {
	Backbone  *policy.Model
	Tokenizer *tokenizer.Tokenizer
	// Template renders (prompt, response) as a conversation; nil renders
	// prompt + response.
	Template *chat.Template
	// MaxLength truncates encoded texts (keeping the start); 0 keeps all.
	MaxLength int
	// BatchSize is the number of sequences per forward in Score; 0 means 8.
	BatchSize int

	mu    sync.Mutex
	score *model.Exec
}

// HeadWeight and HeadBias return the head's variables.
func (rm *RewardModel) HeadWeight() *model.Variable {
	return rm.Backbone.Store.GetVariable(model.JoinPath(HeadScope, "weight"))
}

// HeadBias returns the head's bias variable.
func (rm *RewardModel) HeadBias() *model.Variable {
	return rm.Backbone.Store.GetVariable(model.JoinPath(HeadScope, "bias"))
}

// NewRM creates a reward model with a seeded random backbone (policy.New,
// without an LM head: a reward model never reads one) and a head
// initialised as OpenRLHF does: weight ~ normal(0, 1/(D+1)), bias 0.
func NewRM(backend compute.Backend, cfg *policy.Config, tok *tokenizer.Tokenizer, tmpl *chat.Template, seed uint64) (*RewardModel, error) {
	bb, err := policy.New(backend, cfg, policy.InitOptions{Options: policy.Options{ScopePath: BackboneScope}, Seed: seed,
		Params: BackboneParams(cfg)})
	if err != nil {
		return nil, fmt.Errorf("rewards: reward model: %w", err)
	}
	rm := &RewardModel{Backbone: bb, Tokenizer: tok, Template: tmpl}
	if err := rm.SetHead(freshHead(cfg.HiddenSize, seed), 0); err != nil {
		return nil, err
	}
	return rm, nil
}

// freshHead draws a head's weight: normal(0, 1/(D+1)) from the seed.
func freshHead(d int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x4ead))
	w := make([]float32, d)
	for i := range w {
		w[i] = float32(rng.NormFloat64() / float64(d+1))
	}
	return w
}

// BackboneParams are the weights a reward model's backbone holds: the
// decoder's, without lm_head.weight (the reward reads the final hidden
// state, never the LM head).
func BackboneParams(cfg *policy.Config) []policy.Param {
	var ps []policy.Param
	for _, p := range cfg.Params() {
		if p.Name != "lm_head.weight" {
			ps = append(ps, p)
		}
	}
	return ps
}

// SetHead sets the head's weight (D values) and bias.
func (rm *RewardModel) SetHead(w []float32, b float32) error {
	d := rm.Backbone.Config.HiddenSize
	if len(w) != d {
		return fmt.Errorf("rewards: value head: %d weights for hidden size %d", len(w), d)
	}
	vals := map[string]*tensors.Tensor{
		"weight": tensors.FromFlatDataAndDimensions(append([]float32(nil), w...), 1, d),
		"bias":   tensors.FromFlatDataAndDimensions([]float32{b}, 1),
	}
	for _, name := range []string{"weight", "bias"} {
		path := model.JoinPath(HeadScope, name)
		if v := rm.Backbone.Store.GetVariable(path); v != nil {
			if err := v.SetValue(vals[name]); err != nil {
				return fmt.Errorf("rewards: value head: %w", err)
			}
			continue
		}
		if _, err := rm.Backbone.Store.CreateVariable(path, vals[name]); err != nil {
			return fmt.Errorf("rewards: value head: %w", err)
		}
	}
	return nil
}

// Rewards is the graph of the scalar rewards: ids, positions, mask [B,S]
// (see policy.Decoder) and keep [B,D] (the dropout mask already scaled by
// 1/(1−p); nil for none) → [B] float32:
//
//	r_b = Σ_d h[b, last_b, d] · keep[b,d] · w[d] + bias
func (rm *RewardModel) Rewards(ids, positions, mask, keep *Node) *Node {
	g := ids.Graph()
	h := policy.LastHidden(rm.Backbone.Decoder.Hidden(ids, positions, mask), mask) // [B,D]
	if keep != nil {
		h = Mul(h, keep)
	}
	w := rm.HeadWeight().NodeValue(g)                    // [1,D]
	b := rm.HeadBias().NodeValue(g)                      // [1]
	r := Dot(h, w).General([]int{1}, nil, []int{1}, nil) // [B,1]
	return Add(Reshape(r, -1), b)
}

// HeadParams returns the head's weights as flat values: w [D] and b.
func (rm *RewardModel) HeadParams() (w []float32, b float32, err error) {
	wv, err := rm.HeadWeight().Value()
	if err != nil {
		return nil, 0, fmt.Errorf("rewards: value head: %w", err)
	}
	bv, err := rm.HeadBias().Value()
	if err != nil {
		return nil, 0, fmt.Errorf("rewards: value head: %w", err)
	}
	w, err = tensors.CopyFlatData[float32](wv)
	if err != nil {
		return nil, 0, err
	}
	bs, err := tensors.CopyFlatData[float32](bv)
	if err != nil {
		return nil, 0, err
	}
	return w, bs[0], nil
}
