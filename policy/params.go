package policy

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
)

// Param is one weight tensor: its Hugging Face name and shape. Linear
// weights keep PyTorch's [out, in] layout so they load and save unchanged.
type Param struct {
	Name  string
	Shape []int
	Kind  ParamKind
}

// ParamKind says how a parameter is initialised.
type ParamKind int

const (
	KindMatrix ParamKind = iota // normal(0, initializer_range)
	KindBias                    // zeros
	KindNorm                    // ones
)

// Params lists every weight of the architecture in a fixed order, with HF
// names ("model.layers.3.self_attn.q_proj.weight"). lm_head.weight is
// present only when embeddings are untied.
func (c *Config) Params() []Param {
	d, ff, v := c.HiddenSize, c.IntermediateSize, c.VocabSize
	hd, h, kv := c.HeadDimension(), c.NumAttentionHeads, c.KVHeads()
	ps := []Param{{"model.embed_tokens.weight", []int{v, d}, KindMatrix}}
	for i := range c.NumHiddenLayers {
		p := fmt.Sprintf("model.layers.%d.", i)
		ps = append(ps,
			Param{p + "input_layernorm.weight", []int{d}, KindNorm},
			Param{p + "self_attn.q_proj.weight", []int{h * hd, d}, KindMatrix},
			Param{p + "self_attn.k_proj.weight", []int{kv * hd, d}, KindMatrix},
			Param{p + "self_attn.v_proj.weight", []int{kv * hd, d}, KindMatrix},
		)
		if c.QKVBias() {
			ps = append(ps,
				Param{p + "self_attn.q_proj.bias", []int{h * hd}, KindBias},
				Param{p + "self_attn.k_proj.bias", []int{kv * hd}, KindBias},
				Param{p + "self_attn.v_proj.bias", []int{kv * hd}, KindBias},
			)
		}
		if c.QKNorm() {
			ps = append(ps,
				Param{p + "self_attn.q_norm.weight", []int{hd}, KindNorm},
				Param{p + "self_attn.k_norm.weight", []int{hd}, KindNorm},
			)
		}
		ps = append(ps, Param{p + "self_attn.o_proj.weight", []int{d, h * hd}, KindMatrix})
		if c.OBias() {
			ps = append(ps, Param{p + "self_attn.o_proj.bias", []int{d}, KindBias})
		}
		ps = append(ps,
			Param{p + "post_attention_layernorm.weight", []int{d}, KindNorm},
			Param{p + "mlp.gate_proj.weight", []int{ff, d}, KindMatrix},
			Param{p + "mlp.up_proj.weight", []int{ff, d}, KindMatrix},
			Param{p + "mlp.down_proj.weight", []int{d, ff}, KindMatrix},
		)
	}
	ps = append(ps, Param{"model.norm.weight", []int{d}, KindNorm})
	if !c.TieWordEmbeddings {
		ps = append(ps, Param{"lm_head.weight", []int{v, d}, KindMatrix})
	}
	return ps
}

// VariablePath maps an HF tensor name to the store path of its variable
// under scope: dots become scope separators, so
// "model.norm.weight" under "/policy" is "/policy/model/norm/weight".
func VariablePath(scope *model.Scope, hfName string) string {
	parts := append([]string{scope.Scope()}, strings.Split(hfName, ".")...)
	return model.JoinPath(parts...)
}
