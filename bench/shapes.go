package bench

import (
	"fmt"

	"acecoder/policy"
)

// Shape is one benchmark configuration: a Qwen2 decoder and a batch.
type Shape struct {
	Name                    string // "a" or "b", as the PyTorch script names it
	Hidden, Layers, Heads   int
	KVHeads, FF, Vocab      int
	Batch, Seq              int
	DecodePrompt, DecodeNew int // decoding: prompt tokens, new tokens
}

// Shapes are the reference script's CFGS: hidden, layers, heads, ff,
// vocab, tied embeddings, float32, and the batch of the train and score
// measurements; decoding continues a 16-token prompt by 100 tokens.
var Shapes = map[string]Shape{
	"a": {Name: "a", Hidden: 128, Layers: 4, Heads: 4, KVHeads: 2, FF: 352, Vocab: 512, Batch: 8, Seq: 128, DecodePrompt: 16, DecodeNew: 100},
	"b": {Name: "b", Hidden: 256, Layers: 6, Heads: 8, KVHeads: 2, FF: 1024, Vocab: 2048, Batch: 8, Seq: 256, DecodePrompt: 16, DecodeNew: 100},
}

// String describes the shape as the table prints it.
func (s Shape) String() string {
	return fmt.Sprintf("(%s) d%d, %d layers, %d/%d heads, ff%d, vocab %d, batch %d × %d",
		s.Name, s.Hidden, s.Layers, s.Heads, s.KVHeads, s.FF, s.Vocab, s.Batch, s.Seq)
}

// Config is the model config of the shape (rope θ 1e6, RMSNorm ε 1e-6,
// tied head, q/k/v biases: Qwen2's).
func (s Shape) Config() (*policy.Config, error) {
	js := fmt.Sprintf(`{"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
		"hidden_size": %d, "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d,
		"intermediate_size": %d, "vocab_size": %d, "tie_word_embeddings": true, "rope_theta": 1000000.0,
		"rms_norm_eps": 1e-6, "max_position_embeddings": 1024, "hidden_act": "silu", "torch_dtype": "float32"}`,
		s.Hidden, s.Layers, s.Heads, s.KVHeads, s.FF, s.Vocab)
	return policy.ParseConfig([]byte(js))
}
